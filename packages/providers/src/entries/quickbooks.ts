import { oauth2 } from '@authmanager/core';

/**
 * QuickBooks Online (Intuit OAuth 2.0): authorization code, HTTP Basic client authentication,
 * one-hour access tokens, refresh tokens whose remaining life comes as `x_refresh_token_expires_in`,
 * revocation; API at quickbooks.api.intuit.com, per company (`realmId`).
 * App credentials: `QUICKBOOKS_CLIENT_ID`, `QUICKBOOKS_CLIENT_SECRET`, `QUICKBOOKS_REDIRECT_URI`.
 * @see https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
 */
export const quickbooks = oauth2({
  id: 'quickbooks',
  displayName: 'QuickBooks Online',
  authorizationEndpoint: 'https://appcenter.intuit.com/connect/oauth2',
  tokenEndpoint: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  revocation: { endpoint: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke' },
  clientAuthentication: 'client_secret_basic',
  pkce: 'none',
  scopes: ['com.intuit.quickbooks.accounting'],
  refreshTokenMaxLifetimeSeconds: 5 * 365 * 24 * 60 * 60,
  api: { baseUrl: 'https://quickbooks.api.intuit.com', headers: { Accept: 'application/json' } },
  documentation: {
    urls: [
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq',
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-openid-discovery-doc',
      'https://developer.intuit.com/.well-known/openid-sandbox-configuration',
      'https://blogs.intuit.com/2025/11/12/important-changes-to-refresh-token-policy',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'VOCAB: the company id (`realmId`) comes as a query parameter of the redirect, not in the token response, and the Accounting API lives at `/v3/company/{realmId}/…`; neither the callback parameter nor a per-credential base URL from it can be declared, so callers keep the realmId and add the path themselves.',
      'Refresh tokens live 100 days, extended by each use (the response\'s `x_refresh_token_expires_in` says how much is left), and at most five years (Intuit\'s 2025-11-12 policy; declared as 5 × 365 days); Intuit will add a response field with that expiry, not named yet. The docs ask to always keep the latest refresh token value, but the pages read do not say whether every refresh returns a new one, so rotation is left undocumented.',
      'The discovery document lists `client_secret_basic` and `client_secret_post`; its `revocation_endpoint` is developer.api.intuit.com/v2/oauth2/tokens/revoke. The docs checked do not state the revoke request body (a JSON `{"token": …}` in other sources), so it is sent as the default RFC 7009 form body.',
      'Sandbox companies use sandbox-quickbooks.api.intuit.com: set `QUICKBOOKS_API_BASE_URL`.',
      'The pages read do not mention PKCE, so it is off.',
    ],
  },
});
