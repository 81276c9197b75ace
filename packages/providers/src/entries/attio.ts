import { oauth2 } from '@authmanager/core';

/**
 * Attio: OAuth 2.0 authorization code grant for an app installed in a workspace; the access token
 * does not expire and there is no refresh token. Scopes are configured on the app, not requested.
 * API at api.attio.com/v2.
 * App credentials: `ATTIO_CLIENT_ID`, `ATTIO_CLIENT_SECRET`, `ATTIO_REDIRECT_URI`.
 * @see https://docs.attio.com/rest-api/guides/authentication
 */
export const attio = oauth2({
  id: 'attio',
  displayName: 'Attio',
  authorizationEndpoint: 'https://app.attio.com/authorize',
  tokenEndpoint: 'https://app.attio.com/oauth/token',
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  identity: { endpoint: '/self', id: 'workspace_id', label: 'workspace_name' },
  api: { baseUrl: 'https://api.attio.com/v2' },
  documentation: {
    urls: [
      'https://docs.attio.com/rest-api/guides/authentication',
      'https://docs.attio.com/docs/oauth/authorize',
      'https://docs.attio.com/docs/oauth/token',
      'https://docs.attio.com/docs/oauth/introspect',
      'https://docs.attio.com/rest-api/endpoint-reference/meta/identify',
      'https://docs.attio.com/rest-api/guides/rate-limiting',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'The authorize endpoint takes only `client_id`, `response_type`, `redirect_uri` and `state`: no `scope` (scopes are ticked on the app at build.attio.com) and no PKCE `code_challenge`.',
      'The token endpoint takes `client_id` and `client_secret` in the body and answers only `access_token` and `token_type` (Bearer): no `expires_in`, no `refresh_token`, so the token lasts until the app is uninstalled.',
      'No revocation endpoint is documented. The introspect endpoint takes the token as `Authorization: Bearer`, not RFC 7662 client authentication, so it is not declared as introspection.',
      'Identity is `GET /v2/self` ("the workspace it is linked to"): the token belongs to a workspace, so the account is the workspace.',
      'VOCAB: rate limiting (100 reads/s, 25 writes/s) is a 429 with `Retry-After` as an HTTP date; `rateLimitHeaders` has no field for it.',
    ],
  },
});
