import { oauth2 } from '@authmanager/core';

/**
 * Calendly (API v2): OAuth 2.0 authorization code with PKCE, two-hour access tokens, single-use rotating
 * refresh tokens, revocation at `/oauth/revoke`; API at api.calendly.com.
 * App credentials: `CALENDLY_CLIENT_ID`, `CALENDLY_CLIENT_SECRET`, `CALENDLY_REDIRECT_URI`.
 * @see https://developer.calendly.com/how-to-access-calendly-data-on-behalf-of-authenticated-users
 */
export const calendly = oauth2({
  id: 'calendly',
  displayName: 'Calendly',
  authorizationEndpoint: 'https://auth.calendly.com/oauth/authorize',
  tokenEndpoint: 'https://auth.calendly.com/oauth/token',
  revocation: { endpoint: 'https://auth.calendly.com/oauth/revoke', clientAuthentication: 'client_secret_post' },
  clientAuthentication: 'client_secret_basic',
  refreshTokenRotation: 'rotates',
  identity: { fromTokenResponse: { id: 'owner' } },
  extras: ['owner', 'organization'],
  api: { baseUrl: 'https://api.calendly.com' },
  documentation: {
    urls: [
      'https://developer.calendly.com/how-to-access-calendly-data-on-behalf-of-authenticated-users',
      'https://developer.calendly.com/creating-an-oauth-app',
      'https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/get-oauth-authorize',
      'https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/post-oauth-refresh-token',
      'https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/post-oauth-revoke',
      'https://developer.calendly.com/refresh-token-rotation-guide',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Calendly recommends PKCE with S256 for every app. Web clients authenticate to the token endpoint with HTTP Basic; native clients send only `client_id`. The revocation endpoint takes `client_id` and `client_secret` in the form body.',
      'Access tokens last two hours. Refresh tokens are single-use: each refresh revokes the one used and returns a new one; they do not expire until used. At most 8 tokens per user per minute.',
      'Scopes: apps created since scopes were introduced (March 2026) get no API access until scopes are requested and approved; the scope names are app-specific choices, so none are defaulted.',
      'The token response names the user (`owner`) and `organization` as API URIs; `owner` is the account id.',
    ],
  },
});
