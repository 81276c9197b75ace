import { oauth2 } from '@authmanager/core';

/**
 * Asana: OAuth 2.0 authorization code grant, refresh, revocation at `/-/oauth_revoke`; API at
 * app.asana.com/api/1.0 with Bearer tokens.
 * App credentials: `ASANA_CLIENT_ID`, `ASANA_CLIENT_SECRET`, `ASANA_REDIRECT_URI`.
 * @see https://developers.asana.com/docs/oauth
 */
export const asana = oauth2({
  id: 'asana',
  displayName: 'Asana',
  authorizationEndpoint: 'https://app.asana.com/-/oauth_authorize',
  tokenEndpoint: 'https://app.asana.com/-/oauth_token',
  revocation: { rfc7009: 'https://app.asana.com/-/oauth_revoke' },
  pkce: 'none',
  api: { baseUrl: 'https://app.asana.com/api/1.0' },
  documentation: {
    urls: ['https://developers.asana.com/docs/oauth'],
    checkedOn: '2026-12-01',
    notes: [
      'Facts confirmed from the quick reference of the OAuth page: authorization code grant, `GET /-/oauth_authorize`, `POST /-/oauth_token`, `POST /-/oauth_revoke`, Bearer tokens on API calls.',
      'The later sections of the page (parameter tables, token response, PKCE, refresh and revocation bodies) could not be read, and the docs checked do not state how the client authenticates (left at the default, HTTP Basic), the revoke body (sent as RFC 7009 with the client\'s authentication) or an account lookup (none declared). PKCE is left off until the docs are confirmed to list `code_challenge`.',
      'No default scopes: an app registered with full permissions gets the default scope when none is requested; apps with granular scopes must request what they use.',
      'The docs read do not say whether refresh tokens rotate or expire, nor the access-token lifetime beyond `expires_in`.',
    ],
  },
});
