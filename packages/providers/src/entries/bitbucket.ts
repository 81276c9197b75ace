import { oauth2 } from '@authmanager/core';

/**
 * Bitbucket Cloud: OAuth 2.0 authorization code (no PKCE) and client credentials grant, two-hour
 * access tokens, rotating refresh tokens that lapse after three months unused; API at api.bitbucket.org/2.0.
 * App credentials: `BITBUCKET_CLIENT_ID` (consumer key), `BITBUCKET_CLIENT_SECRET`, `BITBUCKET_REDIRECT_URI`.
 * @see https://developer.atlassian.com/cloud/bitbucket/oauth-2
 */
export const bitbucket = oauth2({
  id: 'bitbucket',
  displayName: 'Bitbucket Cloud',
  authorizationEndpoint: 'https://bitbucket.org/site/oauth2/authorize',
  tokenEndpoint: 'https://bitbucket.org/site/oauth2/access_token',
  clientAuthentication: 'client_secret_basic',
  pkce: 'none',
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 90 * 24 * 60 * 60,
  clientCredentials: true,
  identity: { endpoint: '/user', id: 'uuid', label: 'username' },
  api: { baseUrl: 'https://api.bitbucket.org/2.0' },
  documentation: {
    urls: [
      'https://developer.atlassian.com/cloud/bitbucket/oauth-2',
      'https://support.atlassian.com/bitbucket-cloud/docs/use-oauth-on-bitbucket-cloud/',
      'https://community.developer.atlassian.com/t/oauth-2-0-and-api-authentication-changes-for-bitbucket-cloud/99003',
      'https://community.developer.atlassian.com/t/oauth2-token-lifetime-expiration-clarification/22136',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Scopes are the permissions ticked on the OAuth consumer; the authorization request carries none, so there are no default scopes.',
      'PKCE is not documented, so it is off.',
      'Since 2026-05-04: each refresh returns a new refresh token, unused refresh tokens expire after 3 months (declared as 90 days), token responses carry `scope` instead of the old `scopes`, client credentials grants issue no refresh token, and access tokens are accepted only as `Authorization: Bearer`.',
      'Access tokens last two hours (`expires_in` 7200).',
      'No revocation endpoint is documented.',
    ],
  },
});
