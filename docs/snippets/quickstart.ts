import { AuthManager } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';

/** The README / overview example, run by docs/test/snippets.test.ts against a sandbox server. */
export async function quickstart(issuer: string, redirectUri: string, browser: (url: URL) => Promise<URL>) {
  // #region quickstart
  const auth = new AuthManager({ providers: [sandbox({ issuer, redirectUri })] }); // store defaults to memory
  const flow = auth.sandbox.oauth2;

  // 1. Send the user to the provider's consent page.
  const { url } = await flow.authorize({ subject: 'user-123', scopes: ['openid', 'offline_access', 'api:read'] });

  // 2. The provider redirects back to redirectUri; exchange the code (state and PKCE are checked).
  const callbackUrl = await browser(url);
  const { subject, credentials } = await flow.exchange({ callbackUrl });
  await auth.storeCredentials('sandbox', subject, credentials);

  // 3. Use it: tokens are refreshed when needed, requests are authorized.
  await using session = await auth.session('user-123');
  const token = await session.accessToken('sandbox');
  const me = await (await session.fetch('sandbox', '/api/me')).json();
  // #endregion quickstart
  return { token, me, auth };
}
