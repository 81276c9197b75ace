import { oauth2 } from '@authmanager/core';

/**
 * Shopify (standalone and API-only apps): OAuth 2.0 authorization code grant on the shop's own host
 * (`https://{shop}.myshopify.com`, given per connection), comma-separated scopes, expiring offline
 * access tokens (one hour) with rotating refresh tokens, client credentials for the organization's own
 * stores; Admin API at `https://{shop}.myshopify.com/admin` with the `X-Shopify-Access-Token` header.
 * App credentials: `SHOPIFY_CLIENT_ID`, `SHOPIFY_CLIENT_SECRET`, `SHOPIFY_REDIRECT_URI`; connection: `shop`.
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/authenticate-standalone-apps
 */
export const shopify = oauth2({
  id: 'shopify',
  displayName: 'Shopify',
  authorizationEndpoint: 'https://{shop}.myshopify.com/admin/oauth/authorize',
  tokenEndpoint: 'https://{shop}.myshopify.com/admin/oauth/access_token',
  variables: { shop: { from: 'connection', description: 'The store\'s myshopify.com name (`acme` for acme.myshopify.com)', example: 'acme' } },
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  scopeSeparator: ',',
  tokenRequest: { params: { expiring: '1' } },
  refreshTokenRotation: 'rotates',
  refreshTokenMaxLifetimeSeconds: 90 * 24 * 60 * 60,
  clientCredentials: true,
  api: {
    baseUrl: 'https://{shop}.myshopify.com/admin',
    credentialPlacement: { in: 'header', name: 'X-Shopify-Access-Token', format: '{token}' },
  },
  documentation: {
    urls: [
      'https://shopify.dev/docs/apps/build/authentication-authorization/authenticate-standalone-apps',
      'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens',
      'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens',
      'https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh',
      'https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens',
      'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Expiring offline access tokens last 3600 s and come with a refresh token that Shopify replaces on every use; the previous one stays usable until the replacement is first used (at most 30 days). Refresh tokens have a 90-day lifetime that refreshing does not extend (declared as the maximum lifetime).',
      'An expiring offline token is requested with `expiring=1` in the token request; declared as `tokenRequest.params`, so it goes with the code exchange and every refresh (the pages read do not say whether a refresh needs it too). Public apps must use expiring tokens from 2027-01-01.',
      'Admin API paths carry a version (`/api/<version>/graphql.json`); the base URL stops at `/admin` so callers choose it.',
      'The authorization-code pages read do not mention PKCE, so it is off. Client credentials work only for apps of the organization that owns the store.',
      'No revocation endpoint is declared (an app is removed by uninstalling); no identity lookup is declared (the shop query needs a versioned path).',
    ],
  },
});
