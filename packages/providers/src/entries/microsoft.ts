import { oauth2 } from '@authmanager/core';

/**
 * Microsoft Entra ID (Microsoft identity platform v2.0 endpoints): OAuth 2.0 authorization code with
 * PKCE, rotating refresh tokens, device authorization and client credentials grants; API binding to
 * Microsoft Graph v1.0, account from `GET /me`. The tenant (`common`, `organizations`, `consumers`, a
 * tenant id or domain) is an app credential.
 * App credentials: `MICROSOFT_CLIENT_ID`, `MICROSOFT_CLIENT_SECRET`, `MICROSOFT_REDIRECT_URI`, `MICROSOFT_TENANT`.
 * @see https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
 */
export const microsoft = oauth2({
  id: 'microsoft',
  displayName: 'Microsoft Entra ID',
  authorizationEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
  tokenEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
  deviceAuthorizationEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode',
  variables: {
    tenant: {
      from: 'app',
      description: 'Who may sign in: `common` (any work, school or personal account), `organizations`, `consumers`, or a tenant id or domain',
      pattern: '[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?',
      example: 'common',
    },
  },
  clientAuthentication: 'client_secret_post',
  scopes: ['offline_access', 'User.Read'],
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 90 * 24 * 60 * 60,
  tokenErrors: { aliases: { interaction_required: 'invalid_grant', consent_required: 'invalid_grant' } },
  clientCredentials: { defaultScopes: ['https://graph.microsoft.com/.default'] },
  identity: { endpoint: '/me', id: 'id', label: 'userPrincipalName' },
  api: { baseUrl: 'https://graph.microsoft.com/v1.0' },
  documentation: {
    urls: [
      'https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow',
      'https://learn.microsoft.com/entra/identity-platform/refresh-tokens',
      'https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code',
      'https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow',
      'https://learn.microsoft.com/graph/call-api',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'VOCAB: a URL variable has no default value, so `MICROSOFT_TENANT` must be set; the docs use `common` for multi-tenant apps (client credentials need a real tenant id or domain).',
      'Refresh tokens "replace themselves with a fresh token upon every use" and the old one is not revoked; default lifetime 24 hours for SPA redirect URIs, 90 days otherwise (taken here as the idle lifetime, since each refresh issues a fresh token). The auth-code page says web/native refresh tokens "don\'t have specified lifetimes".',
      'A refresh token is only issued when `offline_access` is requested.',
      '`interaction_required` and `consent_required` at the token endpoint are non-standard; the docs say to send the user back to /authorize, so they count as invalid_grant.',
      'The v2.0 endpoints document no RFC 7009 revocation endpoint; no `revoke`.',
      'Client authentication: the secret goes in the body (documented form); HTTP Basic is also supported.',
    ],
  },
});
