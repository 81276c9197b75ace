import { oauth2 } from '@authmanager/core';

/**
 * Typeform (Create, Responses and Webhooks APIs): OAuth 2.0 authorization code; a refresh token only
 * with the `offline` scope; API at api.typeform.com.
 * App credentials: `TYPEFORM_CLIENT_ID`, `TYPEFORM_CLIENT_SECRET`, `TYPEFORM_REDIRECT_URI`.
 * @see https://www.typeform.com/developers/get-started/applications/
 */
export const typeform = oauth2({
  id: 'typeform',
  displayName: 'Typeform',
  authorizationEndpoint: 'https://api.typeform.com/oauth/authorize',
  tokenEndpoint: 'https://api.typeform.com/oauth/token',
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  scopes: ['offline', 'accounts:read'],
  api: { baseUrl: 'https://api.typeform.com' },
  documentation: {
    urls: [
      'https://www.typeform.com/developers/get-started/applications/',
      'https://www.typeform.com/developers/get-started/scopes/',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Scopes are space-separated; "always add the `offline` scope to receive a refresh token". `accounts:read` is what `GET /me` needs.',
      'The client id and secret go in the form body of the token request (as in Typeform\'s example app).',
      'PKCE and token revocation are not documented, so PKCE is off and there is no `revoke`.',
      'Access-token lifetime is per app (a Typeform maintainer gives 7 days as the default, with `expires_in` in the response); the docs read do not say whether refresh rotates the refresh token or how long it lives.',
      'No identity is declared: `/me` (scope `accounts:read`) returns the account, but which field is its stable id was not confirmed.',
      'Typeform\'s EU data center (api.typeform.eu) with its own authorization server is reported by third parties; not confirmed from Typeform\'s docs, so not declared.',
    ],
  },
});
