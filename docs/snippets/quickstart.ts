// The README quickstart as a program: `pnpm quickstart` at the root builds the packages and runs it
// (Node >= 22.18 runs a .ts file by stripping its types, so this is also `node docs/snippets/quickstart.ts`
// once they are built). docs/test/quickstart.test.ts runs it the same way and checks what it prints.
// #region quickstart
import { AuthManager } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider } from '@authmanager/testing';

// A real OpenID Connect server on loopback stands in for Notion, GitHub, Google or Salesforce.
const redirectUri = 'http://127.0.0.1:3000/callback';
const server = await startSandboxProvider({ redirectUris: [redirectUri], interactive: false });
try {
  const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri })] }); // store defaults to memory
  const flow = auth.sandbox.oauth2;

  // 1. Send the user to the provider's consent page.
  const { url } = await flow.authorize({ subject: 'user-123', scopes: ['openid', 'offline_access', 'api:read'] });

  // 2. The provider redirects back to redirectUri with a code. In an app the user's browser brings it
  //    to your callback route; here followAuthorization plays the browser. Exchange the code (state
  //    and PKCE are checked) and store the credentials.
  const callbackUrl = await followAuthorization(url, redirectUri);
  const { subject, credentials } = await flow.exchange({ callbackUrl });
  await auth.storeCredentials('sandbox', subject, credentials);
  console.log(`${subject} connected sandbox account ${(await auth.account('sandbox', subject))?.id}`);

  // 3. Use it: a session hands out valid tokens (refreshed when needed) and authorizes requests;
  //    withSession closes it afterwards.
  const me = await auth.withSession(subject, async (session) => {
    const response = await session.fetch('sandbox', '/api/me');
    return response.json();
  });
  console.log(`GET /api/me: ${JSON.stringify(me)}`);
} finally {
  await server.close();
}
// #endregion quickstart
