import { oauth2 } from '@authmanager/core';

/**
 * Linear: OAuth 2.0 authorization code with PKCE, comma-separated scopes, refresh tokens (every app
 * since 2026-04-01); GraphQL API at api.linear.app/graphql.
 * App credentials: `LINEAR_CLIENT_ID`, `LINEAR_CLIENT_SECRET`, `LINEAR_REDIRECT_URI`.
 * @see https://linear.app/developers/oauth-2-0-authentication
 */
export const linear = oauth2({
  id: 'linear',
  displayName: 'Linear',
  authorizationEndpoint: 'https://linear.app/oauth/authorize',
  tokenEndpoint: 'https://api.linear.app/oauth/token',
  clientAuthentication: 'client_secret_post',
  scopeSeparator: ',',
  scopes: ['read'],
  identity: { endpoint: '/graphql', body: { query: '{ viewer { id email } }' }, id: 'data.viewer.id', label: 'data.viewer.email' },
  api: { baseUrl: 'https://api.linear.app' },
  documentation: {
    urls: [
      'https://linear.app/developers/oauth-2-0-authentication',
      'https://developers.linear.app/docs/oauth/authentication',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'All OAuth2 applications use refresh tokens since 2026-04-01 (apps created from 2025-10-01 had them from the start); older long-lived tokens lasted about ten years.',
      'The pages read do not say whether refresh tokens rotate or how long they live unused.',
      'Optional authorization parameters: `actor=app` (changes made as the app, not the user) and `prompt=consent` (to connect another workspace).',
      'The account is `query { viewer { id email } }` on the GraphQL endpoint (`POST /graphql` with a JSON body).',
      'A revocation endpoint was not confirmed in the pages read; no `revoke`.',
    ],
  },
});
