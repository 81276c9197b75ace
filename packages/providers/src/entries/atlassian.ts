import { oauth2 } from '@authmanager/core';

/**
 * Atlassian Cloud (Jira, Confluence) OAuth 2.0 (3LO): authorization code with `audience=api.atlassian.com`
 * and `prompt=consent`, JSON token requests, rotating refresh tokens (`offline_access`; 90 days idle,
 * 365 days absolute); API through api.atlassian.com, account = the first site of
 * `GET /oauth/token/accessible-resources` (its `id` is the cloud id).
 * App credentials: `ATLASSIAN_CLIENT_ID`, `ATLASSIAN_CLIENT_SECRET`, `ATLASSIAN_REDIRECT_URI`.
 * @see https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
 */
export const atlassian = oauth2({
  id: 'atlassian',
  displayName: 'Atlassian',
  authorizationEndpoint: 'https://auth.atlassian.com/authorize',
  tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
  authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  tokenRequest: { bodyFormat: 'json' },
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  scopes: ['offline_access', 'read:jira-user', 'read:jira-work'],
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 90 * 24 * 60 * 60,
  refreshTokenMaxLifetimeSeconds: 365 * 24 * 60 * 60,
  identity: { endpoint: '/oauth/token/accessible-resources', id: '0.id', label: '0.url' },
  api: { baseUrl: 'https://api.atlassian.com' },
  documentation: {
    urls: [
      'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
      'https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/',
      'https://developer.atlassian.com/cloud/oauth/getting-started/implementing-oauth-3lo',
      'https://developer.atlassian.com/cloud/oauth/getting-started/refresh-tokens',
      'https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/',
      'https://community.developer.atlassian.com/t/updated-31-january-2022-action-required-deprecating-persistent-refresh-tokens/54172',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Refresh tokens rotate: each use returns a new one and invalidates the old; reusing an old one outside a 10-minute leeway invalidates all of them (re-consent). They expire after 90 days unused and 365 days after the first grant whatever the use (both declared).',
      'VOCAB: site APIs live at `https://api.atlassian.com/ex/jira/{cloudId}/…` and `/ex/confluence/{cloudId}/…`, with the cloud id from accessible-resources after the exchange; the base URL cannot take it, so callers add `/ex/<product>/<cloudId>` to paths. A token may cover several sites; the account recorded is the first.',
      'The 3LO docs do not mention PKCE, so it is off.',
      'The docs document no token revocation endpoint for 3LO apps; users remove access from their connected-apps page. No `revoke`.',
      'Access tokens last one hour (`expires_in` is sent).',
    ],
  },
});
