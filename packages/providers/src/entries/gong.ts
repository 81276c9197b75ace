import { oauth2 } from '@authmanager/core';

/**
 * Gong (Collective apps): OAuth 2.0 authorization code (the user must be a Gong technical
 * administrator), HTTP Basic client authentication at `generate-customer-token`, refresh; the API base
 * URL is per customer, from the token response's `api_base_url_for_customer`.
 * App credentials: `GONG_CLIENT_ID`, `GONG_CLIENT_SECRET`, `GONG_REDIRECT_URI`.
 * @see https://help.gong.io/docs/create-an-app-for-gong
 */
export const gong = oauth2({
  id: 'gong',
  displayName: 'Gong',
  authorizationEndpoint: 'https://app.gong.io/oauth2/authorize',
  tokenEndpoint: 'https://app.gong.io/oauth2/generate-customer-token',
  clientAuthentication: 'client_secret_basic',
  pkce: 'none',
  api: {
    baseUrl: 'https://api.gong.io',
    baseUrlFromTokenResponse: 'api_base_url_for_customer',
    baseUrlOrigins: ['https://api.gong.io', 'https://*.api.gong.io'],
  },
  documentation: {
    urls: [
      'https://help.gong.io/docs/create-an-app-for-gong',
      'https://contact.gong.io/hc/en-us/articles/13944551222157-Create-an-app-for-Gong',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Scopes (`api:calls:read:basic`, `api:users:read`, …) are chosen on the integration and requested space-separated; there is no default here, set `GONG_SCOPES`.',
      'The token step (endpoint `generate-customer-token`, HTTP Basic, `api_base_url_for_customer` in the answer) was not read on a Gong page in this check; the Gong pages read cover app setup and the authorization URL. The allowed API origins (`api.gong.io` and its subdomains) are an assumption about the host form of `api_base_url_for_customer`.',
      'Refresh-token rotation and lifetimes were not found in Gong\'s docs; third-party integrators report single-use refresh tokens, so treat every refresh answer\'s refresh token as the one to keep.',
      'The docs read mention no PKCE, revocation endpoint, or account lookup; none is declared.',
    ],
  },
});
