import { oauth2 } from '@authmanager/core';

/**
 * Box: OAuth 2.0 authorization code (no PKCE), single-use refresh tokens valid 60 days, revocation at
 * `/oauth2/revoke`; API at api.box.com/2.0.
 * App credentials: `BOX_CLIENT_ID`, `BOX_CLIENT_SECRET`, `BOX_REDIRECT_URI`.
 * @see https://developer.box.com/guides/authentication/oauth2/without-sdk
 */
export const box = oauth2({
  id: 'box',
  displayName: 'Box',
  authorizationEndpoint: 'https://account.box.com/api/oauth2/authorize',
  tokenEndpoint: 'https://api.box.com/oauth2/token',
  revocation: { rfc7009: 'https://api.box.com/oauth2/revoke' },
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 60 * 24 * 60 * 60,
  identity: { endpoint: '/users/me', id: 'id', label: 'login' },
  api: { baseUrl: 'https://api.box.com/2.0', allowedOrigins: ['https://upload.box.com'] },
  documentation: {
    urls: [
      'https://developer.box.com/guides/authentication/oauth2/without-sdk',
      'https://developer.box.com/reference/get-authorize/',
      'https://developer.box.com/guides/authentication/tokens/access-tokens/',
      'https://developer.box.com/guides/authentication/tokens/refresh',
      'https://developer.box.com/guides/authentication/tokens/revoke/',
      'https://developer.box.com/reference/post-oauth2-revoke',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'PKCE: the authorize reference lists only response_type, client_id, redirect_uri, state and scope; PKCE is not documented, so it is off.',
      'Scopes default to all scopes configured for the app in the Developer Console; `scope` is space-separated and optional.',
      'Box Verified Enterprise instances may need `https://ent.box.com/api/oauth2/authorize`; set `BOX_AUTHORIZATION_URL`.',
      'Revocation takes either the access or the refresh token, with client_id and client_secret in the form body.',
      'VOCAB: the client credentials grant needs `box_subject_type` (`enterprise`/`user`) and `box_subject_id` (the app\'s enterprise or user id); `clientCredentials.params` are fixed strings, so the grant is not declared.',
    ],
  },
});
