import { oauth2 } from '@authmanager/core';

/**
 * Xero: OAuth 2.0 authorization code with PKCE, 30-minute access tokens, rotating refresh tokens
 * (`offline_access`; 60 days unused); Accounting API at api.xero.com/api.xro/2.0.
 * App credentials: `XERO_CLIENT_ID`, `XERO_CLIENT_SECRET`, `XERO_REDIRECT_URI`.
 * @see https://developer.xero.com/faq/oauth2
 */
export const xero = oauth2({
  id: 'xero',
  displayName: 'Xero',
  authorizationEndpoint: 'https://login.xero.com/identity/connect/authorize',
  tokenEndpoint: 'https://identity.xero.com/connect/token',
  scopes: ['offline_access', 'accounting.transactions'],
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 60 * 24 * 60 * 60,
  api: { baseUrl: 'https://api.xero.com/api.xro/2.0', allowedOrigins: ['https://api.xero.com'] },
  documentation: {
    urls: [
      'https://developer.xero.com/faq/oauth2',
      'https://community.xero.com/developer/discussion/105714701/',
      'https://developer.xero.com/documentation/oauth2/pkce-flow',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Each refresh returns a new refresh token that replaces the old one; if the answer is lost the old one can be retried for 30 minutes. Unused refresh tokens expire after 60 days (the FAQ; an earlier staff post said 30).',
      'PKCE is supported ("Auth Code with PKCE" apps, no secret); single-page apps are not supported. The authorization URL is the PKCE guide\'s.',
      'VOCAB: every Accounting API call needs an `Xero-Tenant-Id` header naming one of the organisations (tenants) the user connected, found with the access token after the flow; a token may cover several, and API headers cannot come from a lookup, so callers add it.',
      'The Xero pages checked do not state the token endpoint\'s client authentication (left at the default, HTTP Basic), a revocation endpoint, or the connections endpoint\'s URL and fields, so no `revoke` and no identity are declared; the token endpoint (required) is unconfirmed.',
    ],
  },
});
