import { oauth2 } from '@authmanager/core';

/**
 * Xero: OAuth 2.0 authorization code with PKCE, HTTP Basic client authentication, 30-minute access
 * tokens, rotating refresh tokens (`offline_access`; 60 days unused), RFC 7009 revocation (which also
 * removes the user's connections); account = the first organisation of `GET /connections`; Accounting
 * API at api.xero.com/api.xro/2.0.
 * App credentials: `XERO_CLIENT_ID`, `XERO_CLIENT_SECRET`, `XERO_REDIRECT_URI`.
 * @see https://developer.xero.com/faq/oauth2
 */
export const xero = oauth2({
  id: 'xero',
  displayName: 'Xero',
  authorizationEndpoint: 'https://login.xero.com/identity/connect/authorize',
  tokenEndpoint: 'https://identity.xero.com/connect/token',
  revocation: { rfc7009: 'https://identity.xero.com/connect/revocation' },
  clientAuthentication: 'client_secret_basic',
  scopes: ['offline_access', 'accounting.transactions'],
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 60 * 24 * 60 * 60,
  identity: { endpoint: 'https://api.xero.com/connections', id: '0.tenantId', label: '0.tenantName' },
  api: { baseUrl: 'https://api.xero.com/api.xro/2.0', allowedOrigins: ['https://api.xero.com'] },
  documentation: {
    urls: [
      'https://developer.xero.com/faq/oauth2',
      'https://community.xero.com/developer/discussion/105714701/',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Each refresh returns a new refresh token that replaces the old one; if the answer is lost the old one can be retried for 30 minutes. Unused refresh tokens expire after 60 days (the FAQ; an earlier staff post said 30).',
      'PKCE is supported (for native apps without a secret); single-page apps are not supported.',
      'VOCAB: every Accounting API call needs an `Xero-Tenant-Id` header naming one organisation from `GET /connections`; a token may cover several, and API headers cannot come from a lookup, so callers add it. The account recorded is the first connection.',
      'Revoking the refresh token also removes all of the user\'s connections to the app (Xero SDK release notes). Individual organisations are disconnected with `DELETE /connections/{id}`.',
      'Not confirmed on a Xero-owned page in this check: the authorize/token/revocation URLs, HTTP Basic at the token endpoint, and `GET https://api.xero.com/connections` (`tenantId`, `tenantName`); they match Xero\'s SDKs and Postman collection but the auth-flow guide was not read.',
    ],
  },
});
