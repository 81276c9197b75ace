import { oauth2 } from '@authmanager/core';

/**
 * monday.com: the OAuth 2.1 flow for monday apps (authorization code with PKCE, expiring access tokens,
 * rotating refresh tokens, revocation); GraphQL API at api.monday.com/v2.
 * App credentials: `MONDAY_CLIENT_ID`, `MONDAY_CLIENT_SECRET`, `MONDAY_REDIRECT_URI`.
 * @see https://developer.monday.com/apps/docs/oauth-2-1
 */
export const monday = oauth2({
  id: 'monday',
  displayName: 'monday.com',
  authorizationEndpoint: 'https://auth.monday.com/oauth2/authorize',
  tokenEndpoint: 'https://auth.monday.com/oauth_ms/oauth/token',
  revocation: { rfc7009: 'https://auth.monday.com/oauth_ms/oauth/revoke' },
  clientAuthentication: 'client_secret_post',
  refreshTokenRotation: 'rotates',
  identity: { endpoint: 'https://api.monday.com/v2', body: { query: '{ me { id email } }' }, id: 'data.me.id', label: 'data.me.email' },
  api: { baseUrl: 'https://api.monday.com/v2' },
  documentation: {
    urls: [
      'https://developer.monday.com/apps/docs/oauth-2-1',
      'https://developer.monday.com/apps/docs/migrating-to-the-new-oauth-flow',
      'https://developer.monday.com/apps/docs/oauth',
      'https://developer-community.monday.com/product-updates/join-the-beta-oauth-2-1-for-monday-apps-5273',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'All new apps use the OAuth 2.1 flow; older apps switch per app version ("New OAuth Flow" toggle). The legacy flow used `https://auth.monday.com/oauth2/token` and non-expiring tokens; point `MONDAY_TOKEN_URL` there for such an app.',
      'Every refresh returns a new refresh token; the platform rotates them. Revocation takes an access or refresh token, with `token_type_hint` optional.',
      'Scopes (`boards:read`, `me:read`, …) are configured per app version; the documented token responses join them with spaces.',
      'The documented token-response examples show no `expires_in`; the access token is a JWT whose `exp` gives its expiry. The docs give no lifetime in seconds here, so none is declared, and a 401 triggers the refresh.',
      'VOCAB: an access token\'s expiry read from its JWT `exp` claim cannot be declared.',
      'The account is `query { me { id email } }`, a POST with a JSON body to the GraphQL endpoint; it needs the `me:read` scope.',
      'The docs mention a RFC 8414 discovery document for the new flow; its URL was not confirmed. Refresh-token lifetime is not stated in the pages read.',
    ],
  },
});
