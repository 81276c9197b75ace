import { oauth2 } from '@authmanager/core';

/**
 * Zendesk: OAuth 2.0 authorization code with PKCE on the account's own host
 * (`https://{subdomain}.zendesk.com`, given per connection), JSON token requests, rotating refresh
 * tokens, client credentials grant, revocation of the current token; account from `GET /api/v2/users/me`.
 * App credentials: `ZENDESK_CLIENT_ID`, `ZENDESK_CLIENT_SECRET`, `ZENDESK_REDIRECT_URI`; connection: `subdomain`.
 * @see https://support.zendesk.com/hc/en-us/articles/4408845965210-Using-OAuth-authentication-with-your-application
 */
export const zendesk = oauth2({
  id: 'zendesk',
  displayName: 'Zendesk',
  authorizationEndpoint: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
  tokenEndpoint: 'https://{subdomain}.zendesk.com/oauth/tokens',
  revocation: { endpoint: 'https://{subdomain}.zendesk.com/api/v2/oauth/tokens/current.json', method: 'DELETE', token: 'access_token', bearer: true },
  variables: { subdomain: { from: 'connection', description: 'The Zendesk account subdomain (`acme` in acme.zendesk.com)', example: 'acme' } },
  tokenRequest: { bodyFormat: 'json' },
  clientAuthentication: 'client_secret_post',
  scopes: ['read'],
  refreshTokenRotation: 'rotates',
  clientCredentials: true,
  identity: { endpoint: '/users/me.json', id: 'user.id', label: 'user.email' },
  api: { baseUrl: 'https://{subdomain}.zendesk.com/api/v2' },
  documentation: {
    urls: [
      'https://support.zendesk.com/hc/en-us/articles/4408845965210-Using-OAuth-authentication-with-your-application',
      'https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token',
      'https://developer.zendesk.com/rest_api/docs/support/grant_type_tokens',
      'https://support.zendesk.com/hc/en-us/articles/9182123625370-Announcing-support-for-OAuth-refresh-token-grant-type-and-OAuth-access-and-refresh-token-expirations',
      'https://developer.zendesk.com/documentation/api-basics/authentication/revoking-oauth-token',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'A refresh returns a new refresh token and deletes the previous access and refresh tokens. Clients created from 2026-04-30 get expiring tokens by default (access tokens 30 minutes); older clients get non-expiring tokens and no refresh token unless the token request sends `expires_in`.',
      'The token request may carry `expires_in` / `refresh_token_expires_in` (requested lifetimes); the docs read give no values to send by default, so no `tokenRequest.params` are declared. An older client that wants expiring tokens can set them in a copy of this entry.',
      'The docs\' token requests are JSON bodies with client_id and client_secret; public clients must use PKCE, confidential ones may.',
      'Community threads on support.zendesk.com report `DELETE /api/v2/oauth/tokens/current.json` answering 204 without revoking in some setups; revoking by token id needs the id from the token list.',
      'The docs do not give a refresh-token idle lifetime.',
    ],
  },
});
