import { oauth2 } from '@authmanager/core';

/**
 * Docusign: Authorization Code Grant (confidential, with optional PKCE), eight-hour access tokens,
 * rotating refresh tokens valid 30 days; account from `/oauth/userinfo`; eSignature REST API on the
 * account's own host (`https://{server}.docusign.net/restapi`).
 * App credentials: `DOCUSIGN_CLIENT_ID` (integration key), `DOCUSIGN_CLIENT_SECRET` (secret key),
 * `DOCUSIGN_REDIRECT_URI`, `DOCUSIGN_SERVER` (host label of the account's `base_uri`, e.g. `na3`, `demo`).
 * @see https://developers.docusign.com/platform/auth/confidential-authcode-get-token
 */
export const docusign = oauth2({
  id: 'docusign',
  displayName: 'Docusign',
  authorizationEndpoint: 'https://account.docusign.com/oauth/auth',
  tokenEndpoint: 'https://account.docusign.com/oauth/token',
  clientAuthentication: 'client_secret_basic',
  scopes: ['signature', 'extended'],
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 30 * 24 * 60 * 60,
  identity: { endpoint: 'https://account.docusign.com/oauth/userinfo', id: 'sub', label: 'email' },
  variables: {
    server: { from: 'app', description: 'Host label of the Docusign account\'s base_uri (from /oauth/userinfo)', example: 'na3' },
  },
  api: { baseUrl: 'https://{server}.docusign.net/restapi' },
  documentation: {
    urls: [
      'https://developers.docusign.com/platform/auth/authcode',
      'https://developers.docusign.com/platform/auth/confidential-authcode-get-token',
      'https://developers.docusign.com/platform/auth/reference/obtain-access-token',
      'https://developers.docusign.com/platform/auth/reference/user-info',
      'https://www.docusign.com/blog/developers/authorization-code-grant-refresh-tokens',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Production authentication is on account.docusign.com; the developer environment is account-d.docusign.com: point `DOCUSIGN_AUTHORIZATION_URL`, `DOCUSIGN_TOKEN_URL` and `DOCUSIGN_IDENTITY_URL` there (API host label `demo`).',
      'Access tokens last 28800 s. A refresh returns a new refresh token. Refresh tokens live 30 days, which the response does not say; declared as the inactivity lifetime. The `extended` scope is what the docs pair with refresh tokens; how it changes the 30 days was not confirmed.',
      'PKCE is an optional extra layer of the confidential flow and is kept on.',
      'No token revocation endpoint was found in the authentication reference.',
      'VOCAB: the API base URL is `accounts[].base_uri` (the entry with `is_default: true`, plus `/restapi`) of `/oauth/userinfo`, an identity response, not the token response; `api.baseUrlFromTokenResponse` cannot read it, nor pick an array element by a flag. So the host is one app variable (`DOCUSIGN_SERVER`, no default: the docs name none), right only for accounts on that host; the eSignature paths also need `accounts[].account_id` (`/v2.1/accounts/{accountId}/…`), which callers put in the path.',
      'The `/oauth/userinfo` response should be cached: Docusign limits userinfo calls per user and integration key per hour.',
    ],
  },
});
