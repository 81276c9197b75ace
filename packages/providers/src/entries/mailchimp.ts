import { oauth2 } from '@authmanager/core';

/**
 * Mailchimp (Marketing API): OAuth 2.0 authorization code without scopes, PKCE or refresh; access
 * tokens do not expire. The API host is per data center (`https://{dc}.api.mailchimp.com/3.0`),
 * given by the metadata endpoint after the exchange.
 * App credentials: `MAILCHIMP_CLIENT_ID`, `MAILCHIMP_CLIENT_SECRET`, `MAILCHIMP_REDIRECT_URI`,
 * `MAILCHIMP_DC` (the server prefix of the account API calls go to, e.g. `us21`).
 * @see https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/
 */
export const mailchimp = oauth2({
  id: 'mailchimp',
  displayName: 'Mailchimp',
  authorizationEndpoint: 'https://login.mailchimp.com/oauth2/authorize',
  tokenEndpoint: 'https://login.mailchimp.com/oauth2/token',
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  tokenResponse: { nullMeansAbsent: ['scope'], zeroExpiresInMeansNever: true },
  variables: {
    dc: { from: 'app', description: 'Mailchimp data center (server prefix) API calls go to', pattern: '[a-z]{2}[0-9]{1,3}', example: 'us21' },
  },
  api: { baseUrl: 'https://{dc}.api.mailchimp.com/3.0' },
  documentation: {
    urls: [
      'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/',
      'https://developer.mailchimp.com/documentation/mailchimp/guides/how-to-use-oauth2/',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Mailchimp has no OAuth scopes: a token reaches everything the authorizing user can.',
      'Tokens do not expire and there is no refresh token; a token ends when the user de-authorizes the app. No revocation endpoint is documented.',
      'The token response sends `scope` as `null` and `expires_in` as `0`, meaning "never expires" (both declared).',
      'VOCAB: the API base URL is `api_endpoint` (and `dc`) of `GET https://login.mailchimp.com/oauth2/metadata`, called with the new token, not a token-response field; `api.baseUrlFromTokenResponse` cannot read it, so the data center is one app variable (`MAILCHIMP_DC`), right only for connections in that data center. The docs give no default data center, so none is declared.',
      'VOCAB: the metadata endpoint (which also describes the account) is documented with `Authorization: OAuth <token>`, a different scheme from the API\'s Bearer; identity requests use the API\'s placement, so no identity is declared.',
    ],
  },
});
