import { oauth2 } from '@authmanager/core';

/**
 * Pipedrive (Marketplace apps): OAuth 2.0 authorization code on oauth.pipedrive.com, HTTP Basic client
 * authentication, refresh tokens that lapse after 60 days unused; the API base URL is the company's,
 * from the token response's `api_domain` (`https://<company>.pipedrive.com`).
 * App credentials: `PIPEDRIVE_CLIENT_ID`, `PIPEDRIVE_CLIENT_SECRET`, `PIPEDRIVE_REDIRECT_URI`.
 * @see https://pipedrive.readme.io/docs/marketplace-oauth-authorization
 */
export const pipedrive = oauth2({
  id: 'pipedrive',
  displayName: 'Pipedrive',
  authorizationEndpoint: 'https://oauth.pipedrive.com/oauth/authorize',
  tokenEndpoint: 'https://oauth.pipedrive.com/oauth/token',
  clientAuthentication: 'client_secret_basic',
  pkce: 'none',
  refreshTokenIdleLifetimeSeconds: 60 * 24 * 60 * 60,
  api: {
    baseUrl: 'https://api.pipedrive.com',
    baseUrlFromTokenResponse: 'api_domain',
    baseUrlOrigins: ['https://*.pipedrive.com'],
  },
  documentation: {
    urls: [
      'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
      'https://developers.pipedrive.com/docs/api/v1/Oauth',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'The authorization URL takes `client_id`, `redirect_uri`, `state`; scopes are set on the app in the Marketplace registration, not requested.',
      'The refresh token expires if unused for 60 days; each use resets that. The docs read do not say whether a refresh returns a new refresh token.',
      'API paths below `api_domain` start with `/api/v1/` or `/api/v2/`; `api.pipedrive.com` is only the fallback when a credential has no `api_domain`.',
      'The pages read do not mention PKCE (off) and did not show a revocation endpoint or an account lookup; none is declared.',
    ],
  },
});
