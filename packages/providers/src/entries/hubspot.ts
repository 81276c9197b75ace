import { oauth2 } from '@authmanager/core';

/**
 * HubSpot: OAuth 2.0 authorization code with PKCE on the v3 token endpoint (parameters in the form
 * body), 30-minute access tokens, refresh; API at api.hubapi.com.
 * App credentials: `HUBSPOT_CLIENT_ID`, `HUBSPOT_CLIENT_SECRET`, `HUBSPOT_REDIRECT_URI`.
 * @see https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
 */
export const hubspot = oauth2({
  id: 'hubspot',
  displayName: 'HubSpot',
  authorizationEndpoint: 'https://app.hubspot.com/oauth/authorize',
  tokenEndpoint: 'https://api.hubapi.com/oauth/v3/token',
  clientAuthentication: 'client_secret_post',
  api: { baseUrl: 'https://api.hubapi.com' },
  documentation: {
    urls: [
      'https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide',
      'https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/refresh-oauth-token',
      'https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/token-introspect',
      'https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide',
      'https://developers.hubspot.com/docs/methods/oauth2/delete-refresh-token',
      'https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'The v1 endpoints (`/oauth/v1/token`) are deprecated on 2027-02-16; the date-versioned reference lists the same token endpoint as `/oauth/2026-03/token`.',
      'The token endpoint lists `code_verifier`, so PKCE is kept; client id and secret go in the form body.',
      'The docs do not say whether refresh tokens rotate or expire.',
      'VOCAB: account identity comes from token metadata (`GET /oauth/v1/access-tokens/{token}` with the token in the path, answering `hub_id`, `user_id`, `user`; or `POST /oauth/2026-03/token/introspect` with it in the form body); IdentitySpec cannot put the token in a path or body, so no identity is declared.',
      'VOCAB: revocation is `DELETE /oauth/v1/refresh-tokens/{token}` (token in the path; deletes only the refresh token); RevocationSpec fills only `{client_id}`, so no `revoke`. The latest date-versioned reference also lists "Revoke an OAuth token" (deletes the refresh token); its path and body were not read in this check.',
      'No default scopes: set `HUBSPOT_SCOPES` to the scopes the app registers.',
    ],
  },
});
