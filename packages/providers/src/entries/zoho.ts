import { oauth2 } from '@authmanager/core';

const ACCOUNTS_SERVERS = ['com', 'eu', 'in', 'com.au', 'jp', 'sa', 'uk', 'com.cn'].map((tld) => `https://accounts.zoho.${tld}`);
const API_DOMAINS = ['com', 'eu', 'in', 'com.au', 'jp', 'sa', 'com.cn', 'ca'].map((tld) => `https://www.zohoapis.${tld}`);

/**
 * Zoho (Zoho Accounts OAuth for every Zoho product): authorization code with offline access, refresh, refresh-token
 * revocation, per-data-center accounts server, API domain from the token response. App credentials: `ZOHO_CLIENT_ID`,
 * `ZOHO_CLIENT_SECRET`, `ZOHO_REDIRECT_URI`, `ZOHO_ACCOUNTS_SERVER` (the data center's accounts host; default `accounts.zoho.com`).
 * @see https://www.zoho.com/accounts/protocol/oauth/multi-dc.html
 */
export const zoho = oauth2({
  id: 'zoho',
  displayName: 'Zoho',
  authorizationEndpoint: 'https://{accountsServer}/oauth/v2/auth',
  tokenEndpoint: 'https://{accountsServer}/oauth/v2/token',
  revocation: { endpoint: 'https://{accountsServer}/oauth/v2/token/revoke', token: 'refresh_token' },
  variables: { accountsServer: {
    from: 'app', default: 'accounts.zoho.com', example: 'accounts.zoho.eu', description: 'Zoho Accounts host of the data center the app and its users are in',
    pattern: 'accounts\\.zoho\\.(?:com|eu|in|com\\.au|jp|sa|uk|com\\.cn)|accounts\\.zohocloud\\.ca',
  } },
  hosts: [...ACCOUNTS_SERVERS, 'https://accounts.zohocloud.ca'],
  clientAuthentication: 'client_secret_post', pkce: 'none', scopeSeparator: ',',
  authorizationParams: { access_type: 'offline', prompt: 'consent' },
  refreshTokenRotation: 'reuses',
  api: {
    baseUrl: 'https://www.zohoapis.com', baseUrlFromTokenResponse: 'api_domain', baseUrlOrigins: API_DOMAINS,
    credentialPlacement: { in: 'header', name: 'Authorization', format: 'Zoho-oauthtoken {token}' },
  },
  documentation: {
    urls: [
      'https://www.zoho.com/accounts/protocol/oauth/multi-dc.html', 'https://www.zoho.com/accounts/protocol/oauth/multi-dc/client-authorization.html',
      'https://www.zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html', 'https://www.zoho.com/crm/developer/docs/api/v8/multi-dc.html',
      'https://www.zoho.com/thrive/resources/api/oauth-step5.html',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Scopes are comma-separated `Service.scope.OPERATION` strings (e.g. `ZohoCRM.modules.ALL`); no default. A refresh token comes only with `access_type=offline`, and again only with `prompt=consent`; a user holds at most 20 per app (the 21st deletes the oldest). Access tokens last one hour; a refresh answers a new access token and `api_domain`, no refresh token; at most ten access tokens per refresh token in ten minutes.',
      'Revocation takes the refresh token (ending its access tokens too); the docs send `token` as a query parameter, this entry sends it in the form body. An invalid token gets HTTP 400. PKCE is not documented for server-based clients (off).',
      'VOCAB: with Multi DC the authorization starts at accounts.zoho.com and the redirect carries `location` and `accounts-server` (the user\'s data center, where the token request must go); a URL variable cannot come from the redirect, so the accounts server is one per app.',
      'VOCAB: the user-info endpoint is on the per-DC accounts server, and an absolute identity endpoint is not a template, so no identity is declared.',
      'The multi-DC page lists `accounts.zoho.uk` (UK) and `accounts.zohocloud.ca` (Canada; API domain `www.zohoapis.ca`). The pages checked do not state the UK API domain, so `www.zohoapis.uk` is not allowed: a UK connection\'s `api_domain` is refused until it is confirmed.',
    ],
  },
});
