import { AuthManager, oauth2 } from '@authmanager/core';

// #region declare
// worker.oauth("githubAuth", { name: "github-oauth", authorizationEndpoint, tokenEndpoint, scope,
//   clientId: process.env.GITHUB_CLIENT_ID, clientSecret: process.env.GITHUB_CLIENT_SECRET })
// becomes:
export const githubAuth = oauth2({
  id: 'github',                  // `name`: the provider's id (auth.github, session.fetch('github', …))
  displayName: 'GitHub',
  envPrefix: 'GITHUB',           // clientId / clientSecret / redirectUri from GITHUB_CLIENT_ID, …
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  scopes: 'repo user',           // `scope`: a string (split on spaces) or an array
  clientAuthentication: 'client_secret_post',
  api: { baseUrl: 'https://api.github.com' },
});
// #endregion declare

// #region lifetime
// accessTokenExpireMs: 3600000 (for a provider that sends no expires_in) becomes seconds:
export const salesforceAuth = oauth2({
  id: 'salesforce',
  displayName: 'Salesforce',
  authorizationEndpoint: 'https://login.salesforce.com/services/oauth2/authorize',
  tokenEndpoint: 'https://login.salesforce.com/services/oauth2/token',
  scopes: 'api refresh_token',
  accessTokenLifetimeSeconds: 3600,
});
// #endregion lifetime

// #region use
export async function listRepos(auth: AuthManager, userId: string): Promise<unknown> {
  // worker: `await githubAuth.accessToken()` inside execute. Here a session is per subject (your user):
  await using session = await auth.session(userId);
  const token = await session.accessToken('github');     // valid now; refreshed first when needed
  void token;                                            // …or let the session attach it:
  const res = await session.fetch('github', '/user/repos'); // Authorization, refresh-once on 401
  return res.json();
}
// #endregion use
