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
  revocation: { endpoint: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke', bodyFormat: 'json', headers: { Accept: 'application/json' } },
  clientAuthentication: 'client_secret_basic',
  pkce: 'none',
  scopes: ['com.intuit.quickbooks.accounting'],
  api: { baseUrl: 'https://quickbooks.api.intuit.com', headers: { Accept: 'application/json' } },
  documentation: {
    urls: [
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq',
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-openid-discovery-doc',
      'https://developer.intuit.com/.well-known/openid-sandbox-configuration',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'VOCAB: the company id (`realmId`) comes as a query parameter of the redirect, not in the token response, and the Accounting API lives at `/v3/company/{realmId}/…`; neither the callback parameter nor a per-credential base URL from it can be declared, so callers keep the realmId and add the path themselves.',
      'Refresh tokens live 100 days (the response\'s `x_refresh_token_expires_in` says how much is left) and at most five years (Intuit SDK release notes); the docs ask to always keep the latest refresh token value, but the pages read do not say whether every refresh returns a new one, so rotation is left undocumented.',
      'The discovery document lists `client_secret_basic` and `client_secret_post`; its `revocation_endpoint` is developer.api.intuit.com/v2/oauth2/tokens/revoke. The JSON body (`{"token": …}`, refresh or access token) follows Intuit\'s revoke sample, which this check did not re-read; confirm before relying on it.',
      'Sandbox companies use sandbox-quickbooks.api.intuit.com: set `QUICKBOOKS_API_BASE_URL`.',
      'The pages read do not mention PKCE, so it is off.',
    ],
  },
});
