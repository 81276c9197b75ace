import { oidc } from '@authmanager/core';

/**
 * Okta: OpenID Connect on an Okta authorization server (discovery), the code flow with PKCE,
 * refresh with `offline_access`, RFC 7009 revocation and RFC 7662 introspection from the metadata,
 * client credentials on a custom authorization server. The issuer defaults to the org's `default`
 * custom authorization server: `https://{domain}/oauth2/default`.
 * App credentials: `OKTA_CLIENT_ID`, `OKTA_CLIENT_SECRET`, `OKTA_REDIRECT_URI`, `OKTA_DOMAIN`
 * (or the whole issuer in `OKTA_ISSUER`).
 * @see https://developer.okta.com/docs/concepts/auth-servers
 */
export const okta = oidc({
  id: 'okta',
  displayName: 'Okta',
  issuer: 'https://{domain}/oauth2/default',
  variables: {
    domain: {
      from: 'app',
      description: 'Your Okta domain',
      pattern: '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+',
      example: 'dev-123456.okta.com',
    },
  },
  hosts: ['https://*.okta.com', 'https://*.oktapreview.com', 'https://*.okta-emea.com'],
  revocation: true,
  introspection: true,
  clientCredentials: true,
  documentation: {
    urls: [
      'https://developer.okta.com/docs/concepts/auth-servers',
      'https://developer.okta.com/docs/reference/api/authorization-servers/',
      'https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS',
      'https://developer.okta.com/standards/OIDC/',
      'https://developer.okta.com/docs/guides/request-user-consent/revoke-consent/',
      'https://support.okta.com/help/s/article/refresh-token-expiration-behavior?language=en_US',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Two kinds of authorization server: the org authorization server (issuer `https://{domain}`, tokens for Okta\'s own APIs) and custom ones (issuer `https://{domain}/oauth2/{authorizationServerId}`, `default` pre-configured). Custom authorization servers need the API Access Management add-on in production orgs; set `OKTA_ISSUER` to `https://{domain}` for the org server.',
      '`hosts` bounds `{domain}` to Okta\'s own domains. A custom URL domain (`https://id.example.com`) is given as a literal `OKTA_ISSUER`, which is used as it is.',
      'Refresh tokens: on the org authorization server they live 90 days with no idle expiry; on a custom one the access policy sets the lifetime (10 minutes to 5 years, or unlimited) and an optional idle expiry, and rotation is a per-app setting. A rotated refresh token keeps the expiry of the one it replaced. So rotation and idle lifetime are left undocumented here.',
      '`prompt=consent` (sent with `offline_access`) shows a consent dialog only when the app\'s consent method and the scopes\' consent settings require one. Client credentials need a custom authorization server and a custom scope; pass it as the scope of the request.',
    ],
  },
});
