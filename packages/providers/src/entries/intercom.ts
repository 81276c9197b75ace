import { oauth2 } from '@authmanager/core';

/**
 * Intercom (public apps): OAuth 2.0 authorization code, client secret in the form body, no PKCE, no
 * refresh; scopes are the app's permissions set in the Developer Hub, not requested. Account is the
 * workspace of `GET /me`; API at api.intercom.io (US region).
 * App credentials: `INTERCOM_CLIENT_ID`, `INTERCOM_CLIENT_SECRET`, `INTERCOM_REDIRECT_URI`.
 * @see https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
 */
export const intercom = oauth2({
  id: 'intercom',
  displayName: 'Intercom',
  authorizationEndpoint: 'https://app.intercom.com/oauth',
  tokenEndpoint: 'https://api.intercom.io/auth/eagle/token',
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  identity: { endpoint: '/me', id: 'app.id_code', label: 'app.name' },
  api: { baseUrl: 'https://api.intercom.io' },
  documentation: {
    urls: [
      'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
      'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/',
      'https://developers.intercom.com/docs/references/2.16/rest-api/api.intercom.io/admins/identifyadmin',
      'https://developers.intercom.com/docs/references/2.6/rest-api/admins/view-the-current-admin',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'The authorization URL takes `client_id`, `state` and `redirect_uri` only; permissions are chosen on the app in the Developer Hub. The code expires after about 5 minutes and is exchanged with `code`, `client_id`, `client_secret`.',
      'The docs describe no refresh token, token lifetime, or PKCE support; tokens are used like access tokens (Bearer).',
      'The docs describe no revocation endpoint; no `revoke`.',
      '`GET /me` needs the "Read admins" permission; `app.id_code` is the workspace id, `id` and `email` are the admin\'s.',
      'VOCAB: workspaces hosted in the EU or Australia use api.eu.intercom.io / api.au.intercom.io; the region is per connection, a connection variable cannot have a default (only app variables can), and the US host has no region label, so it cannot be one URL variable. Set `INTERCOM_API_BASE_URL` per region instead; the pages read do not say whether the token endpoint is regional too.',
      'An `Intercom-Version` header is optional; without it the version set on the app is used.',
    ],
  },
});
