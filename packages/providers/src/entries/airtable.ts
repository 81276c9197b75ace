import { oauth2 } from '@authmanager/core';

/**
 * Airtable: OAuth 2.0 authorization code with PKCE (S256), space-separated scopes, HTTP Basic client
 * authentication when the integration has a secret, refresh; Web API at api.airtable.com/v0.
 * App credentials: `AIRTABLE_CLIENT_ID`, `AIRTABLE_CLIENT_SECRET`, `AIRTABLE_REDIRECT_URI`.
 * @see https://airtable.com/developers/web/api/oauth-reference
 */
export const airtable = oauth2({
  id: 'airtable',
  displayName: 'Airtable',
  authorizationEndpoint: 'https://airtable.com/oauth2/v1/authorize',
  tokenEndpoint: 'https://airtable.com/oauth2/v1/token',
  clientAuthentication: 'client_secret_basic',
  scopes: ['data.records:read', 'schema.bases:read', 'user.email:read'],
  api: { baseUrl: 'https://api.airtable.com/v0' },
  documentation: {
    urls: [
      'https://airtable.com/developers/web/api/oauth-reference',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'PKCE is part of every authorization request in the reference (`code_challenge`, `code_challenge_method=S256`); at least one scope must be requested, and only scopes selected on the integration are allowed.',
      'An integration without a client secret sends `client_id` in the body and no Authorization header (Airtable\'s oauth-example); set `clientAuthentication: \'none\'` in a copy of this entry for that case.',
      'The Airtable pages checked do not state the refresh-token lifetime field (`refresh_expires_in` in other sources), the access/refresh lifetimes, or whether refresh tokens are single-use, so no lifetime field is declared and rotation is left undocumented.',
      'The Airtable pages checked do not describe `GET /v0/meta/whoami`, so no identity is declared.',
      'The reference read names no revocation endpoint; no `revoke`.',
    ],
  },
});
