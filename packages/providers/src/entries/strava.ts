import { oauth2 } from '@authmanager/core';

/**
 * Strava API v3: OAuth 2.0 authorization code grant (web), six-hour access tokens, refresh,
 * deauthorization; the athlete comes with the token response. API at www.strava.com/api/v3.
 * App credentials: `STRAVA_CLIENT_ID`, `STRAVA_CLIENT_SECRET`, `STRAVA_REDIRECT_URI`.
 * @see https://developers.strava.com/docs/authentication/
 */
export const strava = oauth2({
  id: 'strava',
  displayName: 'Strava',
  authorizationEndpoint: 'https://www.strava.com/oauth/authorize',
  tokenEndpoint: 'https://www.strava.com/oauth/token',
  revocation: { endpoint: 'https://www.strava.com/oauth/deauthorize', token: 'access_token', tokenParameter: 'access_token' },
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  scopeSeparator: ',',
  scopes: ['read'],
  identity: { fromTokenResponse: { id: 'athlete.id', label: 'athlete.username' } },
  api: { baseUrl: 'https://www.strava.com/api/v3' },
  documentation: {
    urls: [
      'https://developers.strava.com/docs/authentication/',
      'https://developers.strava.com/docs/getting-started/',
      'https://strava.github.io/api/v3/oauth',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Scopes are comma-delimited (`read,activity:read_all`) and the user may untick some: the callback\'s `scope` says which were granted. Mobile apps use a different authorization endpoint (`/oauth/mobile/authorize`).',
      'The token endpoint takes `client_id` and `client_secret` as parameters. Access tokens expire six hours after creation (`expires_in` and `expires_at`). A refresh may return a different refresh token; the docs read do not say more, so rotation is left undocumented.',
      'Deauthorization (`POST /oauth/deauthorize` with `access_token`, as the v3 docs describe it) invalidates all tokens of the athlete/application pair and removes the app from the athlete\'s settings.',
      'VOCAB: rate limits are per application, a 15-minute and a daily window (default 200 / 2,000), reported as comma-separated pairs in `X-RateLimit-Limit` and `X-RateLimit-Usage`; `rateLimitHeaders` takes one number per header and has no "usage" field.',
      'No PKCE is documented.',
    ],
  },
});
