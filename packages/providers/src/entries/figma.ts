import { oauth2 } from '@authmanager/core';

/**
 * Figma: OAuth 2.0 authorization code with refresh (90-day access tokens); API at api.figma.com/v1.
 * App credentials: `FIGMA_CLIENT_ID`, `FIGMA_CLIENT_SECRET`, `FIGMA_REDIRECT_URI`.
 * @see https://developers.figma.com/docs/rest-api/authentication
 */
export const figma = oauth2({
  id: 'figma',
  displayName: 'Figma',
  authorizationEndpoint: 'https://www.figma.com/oauth',
  tokenEndpoint: 'https://api.figma.com/v1/oauth/token',
  clientAuthentication: 'client_secret_basic',
  pkce: 'none',
  identity: { fromTokenResponse: { id: 'user_id_string' } },
  api: { baseUrl: 'https://api.figma.com/v1' },
  documentation: {
    urls: [
      'https://developers.figma.com/docs/rest-api/authentication',
      'https://developers.figma.com/docs/rest-api/personal-access-tokens/',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Only the authentication overview could be read; the OAuth-app page itself (parameters, refresh, lifetimes) was not found in what was searched, so the facts below are open.',
      'The token endpoint moved from https://www.figma.com/api/oauth/token to https://api.figma.com/v1/oauth/token in February 2025.',
      'PKCE support is not confirmed from Figma\'s docs, so it is off.',
      'Scope separator not confirmed (left at space); scopes are chosen per app (e.g. `file_content:read`, `current_user:read`).',
      'VOCAB: Figma documents refreshing at a separate endpoint (`POST /v1/oauth/refresh`), and the vocabulary has no refresh-endpoint field; not confirmed whether `grant_type=refresh_token` at the token endpoint also works.',
      'Refresh responses are said to carry no new refresh token; rotation is undocumented here. No revocation endpoint found. Identity is the token response\'s `user_id_string`; `/v1/me` needs a user scope.',
      'Whether a dead token is answered with 401 or 403 is not confirmed (left at 401).',
    ],
  },
});
