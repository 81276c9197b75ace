import { oauth2 } from '@authmanager/core';

/**
 * Slack (OAuth v2, "Installing with OAuth"): authorization code with PKCE for a bot token, comma-separated
 * scopes, errors sent with HTTP 200, optional token rotation (12-hour access tokens, rotating refresh
 * tokens), `auth.revoke`; account is the workspace (`team`) of the install; API at slack.com/api.
 * The bot token (top level of the `oauth.v2.access` answer) is the credential; for a user token, request
 * `user_scope` in `authorizationParams` and read the token under `authed_user` (see notes).
 * App credentials: `SLACK_CLIENT_ID`, `SLACK_CLIENT_SECRET`, `SLACK_REDIRECT_URI`.
 * @see https://docs.slack.dev/authentication/installing-with-oauth
 */
export const slack = oauth2({
  id: 'slack',
  displayName: 'Slack',
  authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
  tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
  revocation: { endpoint: 'https://slack.com/api/auth.revoke', token: 'access_token', bearer: true },
  clientAuthentication: 'client_secret_basic',
  scopeSeparator: ',',
  refreshTokenRotation: 'rotates',
  tokenErrors: { sentWithHttp200: true, aliases: { invalid_refresh_token: 'invalid_grant', invalid_code: 'invalid_grant' } },
  identity: { fromTokenResponse: { id: 'team.id', label: 'team.name' } },
  extras: ['team', 'enterprise', 'is_enterprise_install', 'bot_user_id', 'app_id', 'authed_user'],
  api: { baseUrl: 'https://slack.com/api' },
  documentation: {
    urls: [
      'https://docs.slack.dev/authentication/installing-with-oauth',
      'https://docs.slack.dev/reference/methods/oauth.v2.access',
      'https://docs.slack.dev/authentication/using-token-rotation',
      'https://api.slack.com/methods/auth.revoke',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'User-token alternative: ask for user scopes with `authorizationParams: { user_scope: "…" }` and map `tokenResponse.paths` to `authed_user.access_token`, `authed_user.refresh_token`, `authed_user.expires_in`, `authed_user.scope`, `authed_user.token_type` (one credential per connection, so bot and user tokens are two providers).',
      'Refresh tokens exist only when the app has token rotation enabled; then access tokens expire after 12 hours and each refresh revokes the refresh token used and returns a new one. Without rotation the access token never expires.',
      'The docs prefer HTTP Basic client authentication at oauth.v2.access ("avoid sending client_id and client_secret as parameters"); `code_verifier` is accepted for PKCE.',
      'Only `invalid_refresh_token` and `invalid_code` are mapped to invalid_grant; the full list of oauth.v2.access error codes was not confirmed.',
      'VOCAB: Slack Web API methods (auth.revoke included) answer failures with HTTP 200 and `{"ok": false, "error": …}`; the revocation spec matches only statuses, so a failed `auth.revoke` looks like success. `tokenRejected` could match a 200 body, but the pages read do not name the error an expired rotating token gets, so none is declared.',
      '`team` is null for an org-wide (Enterprise Grid) install; the docs put the org under `enterprise` then.',
    ],
  },
});
