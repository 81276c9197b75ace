import { oauth2 } from '@authmanager/core';

/**
 * Gong (Collective apps): OAuth 2.0 authorization code (the user must be a Gong technical
 * administrator), refresh; API at api.gong.io (see notes on the per-customer base URL).
 * App credentials: `GONG_CLIENT_ID`, `GONG_CLIENT_SECRET`, `GONG_REDIRECT_URI`.
 * @see https://help.gong.io/docs/create-an-app-for-gong
 */
export const gong = oauth2({
  id: 'gong',
  displayName: 'Gong',
  authorizationEndpoint: 'https://app.gong.io/oauth2/authorize',
  tokenEndpoint: 'https://app.gong.io/oauth2/generate-customer-token',
  pkce: 'none',
  api: { baseUrl: 'https://api.gong.io' },
  documentation: {
    urls: [
      'https://help.gong.io/docs/create-an-app-for-gong',
      'https://contact.gong.io/hc/en-us/articles/13944551222157-Create-an-app-for-Gong',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Scopes (`api:calls:read:basic`, `api:users:read`, …) are chosen on the integration and requested space-separated; there is no default here, set `GONG_SCOPES`.',
      'The Gong pages checked cover app setup and the authorization URL but not the token step: the token endpoint (`generate-customer-token`, required here) is unconfirmed, client authentication is left at the default (HTTP Basic), and a per-customer API base URL in the token response (`api_base_url_for_customer` in other sources) is not declared, so API calls go to api.gong.io; set `GONG_API_BASE_URL` for a customer on another host.',
      'The docs checked do not state refresh-token rotation or lifetimes (left undocumented); core keeps whichever refresh token a refresh answer carries.',
      'The docs read mention no PKCE, revocation endpoint, or account lookup; none is declared.',
    ],
  },
});
