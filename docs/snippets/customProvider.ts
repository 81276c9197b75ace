// #region custom-provider
import { appField, defineProvider, oauthClientFields, z, type AppCredentialFields, type ProviderDefinition } from '@authmanager/core';

const appCredentials = {
  ...oauthClientFields('ACME'), // clientId, clientSecret, redirectUri from ACME_CLIENT_ID, ACME_CLIENT_SECRET, ACME_REDIRECT_URI
  baseUrl: appField({ schema: z.url(), env: ['ACME_BASE_URL'], default: 'https://acme.example', description: 'Acme host.' }),
} satisfies AppCredentialFields;

/** Acme: plain OAuth 2.0 endpoints, Basic client authentication, RFC 7009 revocation. */
export const acme = defineProvider({
  id: 'acme',
  displayName: 'Acme',
  appCredentials,
  oauth2: {
    server: (app) => ({
      authorizationEndpoint: `${app.baseUrl}/auth`,
      tokenEndpoint: `${app.baseUrl}/token`,
      revocationEndpoint: `${app.baseUrl}/token/revocation`,
    }),
    clientAuthentication: 'client_secret_basic',
    defaultScopes: ['offline_access', 'api:read'],
    revocation: 'rfc7009',
  },
  api: { baseUrl: ({ app }) => `${app.baseUrl}/api` },
} satisfies ProviderDefinition<'acme', typeof appCredentials>);
// #endregion custom-provider
