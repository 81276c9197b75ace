import { oauth2 } from '@authmanager/core';

/**
 * GitLab: OAuth 2.0 authorization code with PKCE, rotating refresh tokens, RFC 7009 revocation and the
 * device authorization grant, on gitlab.com or a self-managed instance (one `{host}` for every
 * endpoint); API at `https://{host}/api/v4`.
 * App credentials: `GITLAB_CLIENT_ID` (application ID), `GITLAB_CLIENT_SECRET`, `GITLAB_REDIRECT_URI`,
 * `GITLAB_HOST` (default `gitlab.com`).
 * @see https://docs.gitlab.com/api/oauth2/
 */
export const gitlab = oauth2({
  id: 'gitlab',
  displayName: 'GitLab',
  authorizationEndpoint: 'https://{host}/oauth/authorize',
  tokenEndpoint: 'https://{host}/oauth/token',
  deviceAuthorizationEndpoint: 'https://{host}/oauth/authorize_device',
  revocation: { rfc7009: 'https://{host}/oauth/revoke' },
  variables: {
    host: {
      from: 'app',
      description: 'Host (and port) of the GitLab instance',
      pattern: '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?',
      example: 'gitlab.example.com',
      default: 'gitlab.com',
    },
  },
  clientAuthentication: 'client_secret_post',
  scopes: ['read_user'],
  refreshTokenRotation: 'rotates',
  identity: { endpoint: '/user', id: 'id', label: 'username' },
  api: { baseUrl: 'https://{host}/api/v4' },
  documentation: {
    urls: ['https://docs.gitlab.com/api/oauth2/', 'https://docs.gitlab.com/integration/oauth_provider/'],
    checkedOn: '2026-12-01',
    notes: [
      'Access tokens last two hours (`expires_in` 7200). A refresh invalidates the old access and refresh tokens and returns new ones.',
      'Scopes are space-separated (`read_user`, `api`, `read_api`…) and must be enabled on the application.',
      'The docs give no refresh-token lifetime.',
      'Optional `root_namespace_id` authorization parameter for groups with SAML SSO is per connection and not declared.',
      '`GITLAB_HOST` comes from app credentials only, never from a connection; a self-managed host cannot be bounded by declared hosts, so it is checked only to be a host name (and port). An instance under a path prefix needs the per-endpoint `GITLAB_*_URL` overrides.',
      'Token details are at Doorkeeper\'s `/oauth/token/info` (not RFC 7662), so no introspection is declared.',
    ],
  },
});
