import { oauth2 } from '@authmanager/core';

/**
 * X (Twitter) API v2: OAuth 2.0 authorization code with PKCE (required), refresh with
 * `offline.access`, RFC 7009 revocation; a confidential client (Web App, Automated App or bot)
 * authenticates with HTTP Basic. API at api.x.com/2.
 * App credentials: `X_CLIENT_ID`, `X_CLIENT_SECRET`, `X_REDIRECT_URI`.
 * @see https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
 */
export const x = oauth2({
  id: 'x',
  displayName: 'X',
  authorizationEndpoint: 'https://x.com/i/oauth2/authorize',
  tokenEndpoint: 'https://api.x.com/2/oauth2/token',
  revocation: { rfc7009: 'https://api.x.com/2/oauth2/revoke' },
  clientAuthentication: 'client_secret_basic',
  scopes: ['tweet.read', 'users.read', 'offline.access'],
  identity: { endpoint: '/users/me', id: 'data.id', label: 'data.username' },
  api: {
    baseUrl: 'https://api.x.com/2',
    rateLimitHeaders: { limit: 'x-rate-limit-limit', remaining: 'x-rate-limit-remaining', reset: 'x-rate-limit-reset', resetUnit: 'epoch-seconds' },
  },
  documentation: {
    urls: [
      'https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code',
      'https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token',
      'https://docs.x.com/x-api/fundamentals/rate-limits',
      'https://docs.x.com/x-api/users/get-my-user',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Access tokens live two hours; a refresh token is issued only when `offline.access` is requested (kept in the default scopes).',
      'VOCAB: the client type is chosen per app in the Developer Console: confidential clients (Web App, Automated App or bot) send HTTP Basic to the token and revoke endpoints, public clients (Native App, Single page App) send `client_id` in the body and no secret. The vocabulary fixes one method per definition; this entry is the confidential client, and a public client needs a copy with `clientAuthentication: \'none\'`.',
      'The authorization code expires 30 seconds after it is issued; exchange it at once.',
      'The docs do not say whether refresh tokens rotate or how long they live.',
      'PKCE accepts S256 or plain; only authorization code (with PKCE) and refresh token grants are offered for user context.',
    ],
  },
});
