import { oauth2 } from '@authmanager/core';

/**
 * Dropbox: OAuth 2.0 authorization code with PKCE and `token_access_type=offline` (short-lived access
 * tokens plus a long-lived refresh token), revocation at `/2/auth/token/revoke`; API at api.dropboxapi.com/2.
 * App credentials: `DROPBOX_CLIENT_ID` (app key), `DROPBOX_CLIENT_SECRET` (app secret), `DROPBOX_REDIRECT_URI`.
 * @see https://developers.dropbox.com/oauth-guide
 */
export const dropbox = oauth2({
  id: 'dropbox',
  displayName: 'Dropbox',
  authorizationEndpoint: 'https://www.dropbox.com/oauth2/authorize',
  tokenEndpoint: 'https://api.dropboxapi.com/oauth2/token',
  authorizationParams: { token_access_type: 'offline' },
  revocation: {
    endpoint: 'https://api.dropboxapi.com/2/auth/token/revoke',
    token: 'access_token',
    bearer: true,
    needsLiveAccessToken: true,
  },
  clientAuthentication: 'client_secret_basic',
  refreshTokenRotation: 'reuses',
  identity: { endpoint: '/users/get_current_account', method: 'POST', id: 'account_id', label: 'email' },
  api: { baseUrl: 'https://api.dropboxapi.com/2', allowedOrigins: ['https://content.dropboxapi.com'] },
  documentation: {
    urls: [
      'https://developers.dropbox.com/oauth-guide',
      'https://www.dropbox.com/developers/documentation/http/documentation',
      'https://dropbox.tech/developers/using-oauth-2-0-with-offline-access',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Scopes are chosen in the App Console; the `scope` parameter is optional, so there are no default scopes.',
      'Refresh: the documented refresh response has `access_token`, `expires_in` (14400) and `token_type` and no new `refresh_token`, so the refresh token is reused; the docs give it no lifetime (it lasts until revoked).',
      'VOCAB: `/2/auth/token/revoke` is an RPC endpoint that takes the access token as `Authorization: Bearer` and no arguments (an empty body or the JSON `null`); the vocabulary cannot say "no body".',
      'VOCAB: content endpoints (upload/download) take their arguments in a `Dropbox-API-Arg` header and are on content.dropboxapi.com; rate limiting is a 429 with `Retry-After`, which `rateLimitHeaders` has no field for.',
    ],
  },
});
