import { oauth2 } from '@authmanager/core';

/**
 * Discord: OAuth 2.0 authorization code and client credentials grant, refresh, RFC 7009 revocation
 * (revoking one token ends the whole authorization); API at discord.com/api/v10.
 * App credentials: `DISCORD_CLIENT_ID`, `DISCORD_CLIENT_SECRET`, `DISCORD_REDIRECT_URI`.
 * @see https://discord.com/developers/docs/topics/oauth2
 */
export const discord = oauth2({
  id: 'discord',
  displayName: 'Discord',
  authorizationEndpoint: 'https://discord.com/oauth2/authorize',
  tokenEndpoint: 'https://discord.com/api/oauth2/token',
  revocation: { rfc7009: 'https://discord.com/api/oauth2/token/revoke' },
  clientAuthentication: 'client_secret_basic',
  pkce: 'none',
  scopes: ['identify'],
  clientCredentials: true,
  identity: { endpoint: '/users/@me', id: 'id', label: 'username' },
  api: {
    baseUrl: 'https://discord.com/api/v10',
    rateLimitHeaders: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset', resetUnit: 'epoch-seconds' },
  },
  documentation: {
    urls: ['https://discord.com/developers/docs/topics/oauth2', 'https://discord.com/developers/docs/topics/rate-limits'],
    checkedOn: '2026-12-01',
    notes: [
      'The token and revocation endpoints accept only `application/x-www-form-urlencoded`; client authentication is HTTP Basic or `client_id`/`client_secret` in the body.',
      'PKCE is not described in the OAuth2 topic, so it is off.',
      'Access tokens last 604800 s (7 days) in the documented responses. The refresh response has the same shape as the code response, but the docs do not say whether the refresh token changes, so rotation is undocumented; no refresh-token lifetime is given.',
      'Revoking any token revokes every access and refresh token of that authorization.',
      '`X-RateLimit-Reset` is epoch seconds with a fractional part; `X-RateLimit-Reset-After` and `X-RateLimit-Bucket` are also sent.',
      'Bot tokens (`Authorization: Bot …`) are a separate credential and not covered by this entry.',
    ],
  },
});
