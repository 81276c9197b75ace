import { oauth2 } from '@authmanager/core';

/**
 * Microsoft Entra ID (Microsoft identity platform v2.0 endpoints): OAuth 2.0 authorization code with
 * PKCE, rotating refresh tokens, device authorization and client credentials grants; API binding to
 * Microsoft Graph v1.0, account from `GET /me`. The tenant is an app credential (default `common`).
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
      from: 'app', default: 'common', example: 'contoso.onmicrosoft.com', pattern: '[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?',
      description: 'Who may sign in: `common` (any work, school or personal account), `organizations`, `consumers`, or a tenant id or domain',
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
      '`MICROSOFT_TENANT` defaults to `common` (multi-tenant, as the docs use it); client credentials need a real tenant id or domain.',
      'Refresh tokens (only with `offline_access`) replace themselves on every use; the old one is not revoked. Lifetime 24 hours for SPA redirect URIs, else 90 days (declared as idle lifetime); the auth-code page says web/native ones "don\'t have specified lifetimes".',
      '`interaction_required`/`consent_required` at the token endpoint mean "send the user back to /authorize" (counted as invalid_grant). No RFC 7009 revocation on v2.0 (no `revoke`). The secret goes in the body (documented form); HTTP Basic also works.',
    ],
  },
});
