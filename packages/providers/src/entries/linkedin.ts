import { oauth2 } from '@authmanager/core';

/**
 * LinkedIn: member authorization (3-legged OAuth 2.0 authorization code flow) for the member APIs,
 * with Sign In with LinkedIn using OpenID Connect's `openid profile email` as the default scopes and
 * `/v2/userinfo` as the account; RFC 7662-style introspection; client credentials (2-legged) for
 * apps LinkedIn enabled for it. API at api.linkedin.com.
 * App credentials: `LINKEDIN_CLIENT_ID`, `LINKEDIN_CLIENT_SECRET`, `LINKEDIN_REDIRECT_URI`.
 * @see https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
 */
export const linkedin = oauth2({
  id: 'linkedin',
  displayName: 'LinkedIn',
  authorizationEndpoint: 'https://www.linkedin.com/oauth/v2/authorization',
  tokenEndpoint: 'https://www.linkedin.com/oauth/v2/accessToken',
  introspectionEndpoint: 'https://www.linkedin.com/oauth/v2/introspectToken',
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  scopes: ['openid', 'profile', 'email'],
  clientCredentials: true,
  identity: { endpoint: 'https://api.linkedin.com/v2/userinfo', id: 'sub', label: 'email' },
  api: { baseUrl: 'https://api.linkedin.com' },
  documentation: {
    urls: [
      'https://learn.microsoft.com/en-us/linkedin/shared/authentication/authentication',
      'https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow',
      'https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2',
      'https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens',
      'https://learn.microsoft.com/en-us/linkedin/shared/authentication/token-introspection',
      'https://learn.microsoft.com/en-us/linkedin/talent/job-postings/api/job-posting-module1-basics',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Access tokens live 60 days (`expires_in`). Refresh tokens are issued only to apps LinkedIn approved for programmatic refresh tokens (MDP partners); they live 365 days from the first authorization (`refresh_token_expires_in`) and a refresh does not extend that.',
      'The docs say the refresh token keeps its original TTL across refreshes but not in so many words whether the same token string comes back; rotation is left undocumented.',
      'The docs read describe no PKCE for this web flow and no revocation endpoint; members revoke access in their LinkedIn settings.',
      'Introspection takes `client_id`, `client_secret` and `token` as a form body (client_secret_post) and answers 400 for an invalid client id or token rather than RFC 7662 `active: false`.',
      'Client credentials (2-legged) work only for APIs LinkedIn enabled for the app ("Your application cannot access these APIs by default").',
      'The versioned APIs under /rest need a `LinkedIn-Version: YYYYMM` header (and some `X-Restli-Protocol-Version: 2.0.0`); no default is set because each version is retired on a schedule. Pass it per call.',
      '`/v2/userinfo` needs the `openid` scope; an app requesting only member API scopes (w_member_social…) gets no account.',
    ],
  },
});
