import { oauth2 } from '@authmanager/core';

/**
 * ServiceNow (the instance as OAuth authorization server): authorization code on the customer's own
 * instance (`https://{instance}.service-now.com`, given per connection), client id and secret as
 * token-request parameters, refresh; REST API at `https://{instance}.service-now.com/api`.
 * App credentials: `SERVICENOW_CLIENT_ID`, `SERVICENOW_CLIENT_SECRET`, `SERVICENOW_REDIRECT_URI`; connection: `instance`.
 * @see https://www.servicenow.com/docs/r/platform-security/authentication/c_OAuthAuthorizationCodeFlow.html
 */
export const servicenow = oauth2({
  id: 'servicenow',
  displayName: 'ServiceNow',
  authorizationEndpoint: 'https://{instance}.service-now.com/oauth_auth.do',
  tokenEndpoint: 'https://{instance}.service-now.com/oauth_token.do',
  variables: { instance: { from: 'connection', description: 'The instance name (`acme` in acme.service-now.com)', example: 'acme' } },
  clientAuthentication: 'client_secret_post',
  pkce: 'none',
  api: { baseUrl: 'https://{instance}.service-now.com/api' },
  documentation: {
    urls: [
      'https://www.servicenow.com/docs/r/platform-security/authentication/c_OAuthAuthorizationCodeFlow.html',
      'https://www.servicenow.com/docs/r/washingtondc/platform-security/authentication/t_RevokeOAuthToken.html',
      'https://www.servicenow.com/docs/bundle/yokohama-security-management/page/product/secops-integration-sir/secops-integration-splunk-addon/task/configure-application-registry-splunk.html',
      'https://www.servicenow.com/docs/r/it-operations-management/digital-end-user-experience-dex/application-registries-form.html',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Token lifetimes are set per application registry: access tokens 1800 s and refresh tokens 8,640,000 s (100 days) by default. The docs read do not say whether refresh tokens rotate or whether their lifespan counts from issue or from last use.',
      'VOCAB: revocation is `oauth_revoke_token.do?token=<access or refresh token>` (token in the query string, no client authentication); RevocationSpec sends the token in the body, so no `revoke` is declared.',
      'The code-flow page shows the token request with `client_id` and `client_secret` as parameters; HTTP Basic is not mentioned. Registries can be marked public clients; the pages read do not describe PKCE, so it is off.',
      'An instance reached at another host needs `SERVICENOW_AUTHORIZATION_URL`/`SERVICENOW_TOKEN_URL`/`SERVICENOW_API_BASE_URL` overrides.',
      'No account lookup is declared (the docs read name none for OAuth clients).',
    ],
  },
});
