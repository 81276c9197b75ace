import { oauth2 } from '@authmanager/core';

/**
 * Twitch: OAuth 2.0 authorization code grant (user access tokens), refresh, revocation at
 * `/oauth2/revoke`, client credentials (app access tokens); API at api.twitch.tv/helix.
 * App credentials: `TWITCH_CLIENT_ID`, `TWITCH_CLIENT_SECRET`, `TWITCH_REDIRECT_URI`.
 * @see https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/
 */
export const twitch = oauth2({
  id: 'twitch',
  displayName: 'Twitch',
  authorizationEndpoint: 'https://id.twitch.tv/oauth2/authorize',
  tokenEndpoint: 'https://id.twitch.tv/oauth2/token',
  revocation: { endpoint: 'https://id.twitch.tv/oauth2/revoke', token: 'access_token', clientAuthentication: 'none', alreadyRevokedStatuses: [400] },
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  clientCredentials: true,
  identity: { endpoint: 'https://id.twitch.tv/oauth2/validate', id: 'user_id', label: 'login' },
  api: {
    baseUrl: 'https://api.twitch.tv/helix',
    headers: { 'Client-Id': '{clientId}' },
    rateLimitHeaders: { limit: 'Ratelimit-Limit', remaining: 'Ratelimit-Remaining', reset: 'Ratelimit-Reset', resetUnit: 'epoch-seconds' },
  },
  documentation: {
    urls: [
      'https://dev.twitch.tv/docs/authentication/',
      'https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/',
      'https://dev.twitch.tv/docs/authentication/refresh-tokens/',
      'https://dev.twitch.tv/docs/authentication/validate-tokens',
      'https://dev.twitch.tv/docs/authentication/revoke-tokens/',
      'https://dev.twitch.tv/docs/api/guide/',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Every Helix call needs a `Client-Id` header with the app\'s client id (declared from `TWITCH_CLIENT_ID`).',
      'VOCAB: apps must call `/oauth2/validate` when they start and hourly afterwards and end sessions whose token no longer validates; the vocabulary has no periodic validation.',
      'VOCAB: the token response gives `scope` as a JSON array, not RFC 6749\'s space-separated string.',
      'Twitch recommends refreshing on a 401 rather than ahead of `expires_in`, since tokens become invalid for other reasons too (a disconnect, a revocation). Refresh responses carry a refresh token that may change; the docs say to store it, so rotation is left undocumented.',
      'Identity uses `/oauth2/validate` (`user_id`, `login`), called with the default `Authorization: bearer <token>` header (and the declared `Client-Id`); which header forms it accepts was not confirmed in the pages read.',
      'Revocation is `POST /oauth2/revoke` with `client_id` and the access token as `token` in a form body (no secret); 400 ("Invalid token") means the token is already invalid and counts as revoked. App access tokens (client credentials) cannot be refreshed.',
      'The API guide gives `Ratelimit-Limit`, `Ratelimit-Remaining` and `Ratelimit-Reset` (a Unix epoch timestamp) on every response.',
      'No PKCE is documented for the authorization code grant.',
    ],
  },
});
