import { oauth2 } from '@authmanager/core';

/**
 * Zoom: OAuth 2.0 authorization code with PKCE, rotating refresh tokens, revocation at
 * `/oauth/revoke`; API at api.zoom.us/v2.
 * App credentials: `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET`, `ZOOM_REDIRECT_URI`.
 * @see https://developers.zoom.us/docs/integrations/oauth/
 */
export const zoom = oauth2({
  id: 'zoom',
  displayName: 'Zoom',
  authorizationEndpoint: 'https://zoom.us/oauth/authorize',
  tokenEndpoint: 'https://zoom.us/oauth/token',
  revocation: { rfc7009: 'https://zoom.us/oauth/revoke' },
  clientAuthentication: 'client_secret_basic',
  refreshTokenRotation: 'rotates',
  identity: { endpoint: '/users/me', id: 'id', label: 'email' },
  api: { baseUrl: 'https://api.zoom.us/v2' },
  documentation: {
    urls: [
      'https://developers.zoom.us/docs/integrations/oauth/',
      'https://developers.zoom.us/docs/rooms/oauth/',
      'https://devsupport.zoom.us/hc/en-us/articles/360060332931-Extending-the-expiration-for-an-OAuth-access-token',
      'https://developers.zoom.us/changelog/platform/support-for-the-oauth-2.0-device-authorization-grant',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'PKCE (S256) is documented for the authorization code flow (Zoom\'s "OAuth 2.0 with PKCE" collection).',
      'Access tokens last one hour. Every refresh returns a new refresh token and the latest one must be used ("Invalid Token!" otherwise).',
      'Refresh-token lifetime: Zoom\'s support article says 15 years; other Zoom pages give shorter figures. No inactivity lifetime is declared.',
      'Device authorization (RFC 8628) exists only for private apps that Zoom Support enables; its endpoint URL was not confirmed, so it is not declared.',
      'Server-to-Server apps use `grant_type=account_credentials` with an `account_id` instead of the client credentials grant; that is a different app type and not declared here.',
    ],
  },
});
