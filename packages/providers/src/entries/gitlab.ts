import { oauth2 } from '@authmanager/core';

/**
 * GitLab: OAuth 2.0 authorization code with PKCE, rotating refresh tokens, RFC 7009 revocation and the
 * device authorization grant, on gitlab.com by default (every endpoint can be pointed at a
 * self-managed instance); API at gitlab.com/api/v4.
 * App credentials: `GITLAB_CLIENT_ID` (application ID), `GITLAB_CLIENT_SECRET`, `GITLAB_REDIRECT_URI`;
 * for a self-managed instance also `GITLAB_AUTHORIZATION_URL`, `GITLAB_TOKEN_URL`,
 * `GITLAB_REVOCATION_URL`, `GITLAB_DEVICE_AUTHORIZATION_URL`, `GITLAB_API_BASE_URL`.
 * @see https://docs.gitlab.com/api/oauth2/
 */
export const gitlab = oauth2({
  id: 'gitlab',
  displayName: 'GitLab',
  authorizationEndpoint: 'https://gitlab.com/oauth/authorize',
  tokenEndpoint: 'https://gitlab.com/oauth/token',
  deviceAuthorizationEndpoint: 'https://gitlab.com/oauth/authorize_device',
  revocation: { rfc7009: 'https://gitlab.com/oauth/revoke' },
  clientAuthentication: 'client_secret_post',
  scopes: ['read_user'],
  refreshTokenRotation: 'rotates',
  identity: { endpoint: '/user', id: 'id', label: 'username' },
  api: { baseUrl: 'https://gitlab.com/api/v4' },
  documentation: {
    urls: ['https://docs.gitlab.com/api/oauth2/', 'https://docs.gitlab.com/integration/oauth_provider/'],
    checkedOn: '2026-12-01',
    notes: [
      'Access tokens last two hours (`expires_in` 7200). A refresh invalidates the old access and refresh tokens and returns new ones.',
      'Scopes are space-separated (`read_user`, `api`, `read_api`…) and must be enabled on the application.',
      'The docs give no refresh-token lifetime.',
      'Optional `root_namespace_id` authorization parameter for groups with SAML SSO is per connection and not declared.',
      'VOCAB: a URL variable has no default value, so "gitlab.com unless `GITLAB_HOST` is set" cannot be one template; each endpoint is overridden on its own instead, and a self-managed host is not bounded by declared hosts.',
      'Token details are at Doorkeeper\'s `/oauth/token/info` (not RFC 7662), so no introspection is declared.',
    ],
  },
});
