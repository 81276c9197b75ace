import { oidc } from '@authmanager/core';

/**
 * Auth0: OpenID Connect on a tenant's domain (discovery at `https://{domain}/`), the code flow with
 * PKCE, refresh with `offline_access`, refresh-token revocation at `/oauth/revoke`, client
 * credentials (machine-to-machine) on the same token endpoint.
 * App credentials: `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`, `AUTH0_REDIRECT_URI`, `AUTH0_DOMAIN`
 * (or the whole issuer in `AUTH0_ISSUER`).
 * @see https://auth0.com/docs/flows/call-your-api-using-the-client-credentials-flow
 */
export const auth0 = oidc({
  id: 'auth0',
  displayName: 'Auth0',
  issuer: 'https://{domain}/',
  variables: {
    domain: {
      from: 'app',
      description: 'Your Auth0 tenant domain',
      pattern: '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+',
      example: 'acme.us.auth0.com',
    },
  },
  hosts: ['https://*.auth0.com'],
  clientAuthentication: 'client_secret_post',
  revocation: true,
  clientCredentials: true,
  documentation: {
    urls: [
      'https://auth0.com/docs/flows/call-your-api-using-the-client-credentials-flow',
      'https://auth0.com/docs/api/authentication/client-credential-flow/get-token',
      'https://auth0.com/docs/tokens/guides/revoke-refresh-tokens',
      'https://auth0.com/docs/tokens/refresh-tokens/configure-refresh-token-expiration',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'The issuer is the tenant domain with a trailing slash. `hosts` bounds `{domain}` to `*.auth0.com` (including regional `*.us.auth0.com`, `*.eu.auth0.com`); a custom domain is given as a literal `AUTH0_ISSUER`.',
      'The token endpoint takes `client_id` and `client_secret` in the form body (the application\'s token endpoint authentication method can also be set to Basic); set `clientAuthentication` to match the application.',
      'VOCAB: client credentials need `audience` (the identifier of the API the token is for, per tenant and API); `ClientCredentialsSpec.params` is fixed text with no app variable, so no default audience is declared and each client credentials request must carry it.',
      'Also for user tokens, an access token for your own API needs `audience` on the authorization request; it is API-specific, so none is set.',
      'Revocation (`/oauth/revoke`) revokes refresh tokens (and, depending on the tenant setting, the grant); access tokens cannot be revoked. Refresh tokens need `offline_access` and "Allow Offline Access" on the API.',
      'Refresh token rotation and its absolute and idle lifetimes are per-application settings, so rotation and idle lifetime are left undocumented here.',
      'No API binding: the tokens are for the customer\'s own API (or the Management API at `https://{domain}/api/v2/`, which needs its own audience).',
    ],
  },
});
