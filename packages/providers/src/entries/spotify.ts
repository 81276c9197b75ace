import { oauth2 } from '@authmanager/core';

/**
 * Spotify Web API: OAuth 2.0 authorization code with PKCE, one-hour access tokens, refresh; the
 * app authenticates with HTTP Basic. API at api.spotify.com/v1.
 * App credentials: `SPOTIFY_CLIENT_ID`, `SPOTIFY_CLIENT_SECRET`, `SPOTIFY_REDIRECT_URI`.
 * @see https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens
 */
export const spotify = oauth2({
  id: 'spotify',
  displayName: 'Spotify',
  authorizationEndpoint: 'https://accounts.spotify.com/authorize',
  tokenEndpoint: 'https://accounts.spotify.com/api/token',
  clientAuthentication: 'client_secret_basic',
  scopes: ['user-read-private', 'user-read-email'],
  refreshTokenMaxLifetimeSeconds: 181 * 24 * 60 * 60,
  identity: { endpoint: '/me', id: 'id', label: 'email' },
  api: { baseUrl: 'https://api.spotify.com/v1' },
  documentation: {
    urls: [
      'https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens',
      'https://developer.spotify.com/blog/2026-06-18-refresh-token-expiration',
      'https://developer.spotify.com/documentation/web-api/concepts/rate-limits',
      'https://developer.spotify.com/documentation/web-api/references/changes/july-2026',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Access tokens live one hour. The refresh request takes `Authorization: Basic` for the authorization code flow, or `client_id` in the body for the PKCE flow without a secret (a public client needs `clientAuthentication: \'none\'`).',
      'A refresh response may carry a new refresh token ("if (response.refresh_token)" in the docs\' example); the docs do not say when, so rotation is left undocumented.',
      'Refresh tokens expire 6 months after the user\'s original authorization (new apps since 2026-06-18, existing apps from 2026-07-20); refreshing does not extend that, and then the token endpoint answers `invalid_grant`. Declared as the maximum lifetime, taking 6 months as 181 days (the shortest six-month span) so the credential is due early rather than late.',
      'VOCAB: rate limiting is a rolling 30-second window answered with 429 and `Retry-After`; `rateLimitHeaders` has no field for it. Quota exhaustion answers 429 with `reason: QUOTA_EXCEEDED`.',
      'No revocation endpoint is documented; users remove apps from their account.',
      '`/me` returns `email` only with the `user-read-email` scope.',
    ],
  },
});
