import { AuthManager, AuthManagerError } from '@authmanager/core';
import type { sandbox } from '@authmanager/testing';

/** A manager with the sandbox provider registered (any manager works for `handler` and `job`). */
type Auth = AuthManager<readonly [ReturnType<typeof sandbox>]>;

/** A request handler that calls the API through a session (docs/sessions.md). */
export async function handler(auth: Auth, userId: string) {
  // #region handler
  await using session = await auth.session(userId); // disposed when the block ends
  try {
    const res = await session.fetch('sandbox', '/api/me'); // base URL + Authorization; on 401: refresh once, retry once
    return { status: 200, body: await res.json() };
  } catch (err) {
    if (AuthManagerError.is(err, 'CREDENTIALS_NOT_FOUND') || AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')) {
      return { status: 409, body: { reconnect: err.provider } }; // send the user through the flow again
    }
    throw err;
  }
  // #endregion handler
}

/** A background job (docs/sessions.md). */
export async function job(auth: Auth, userId: string) {
  // #region job
  const token = await auth.withSession(userId, (session) => session.accessToken('sandbox'));
  // #endregion job
  return token;
}

/** Session options (docs/sessions.md). */
export async function options(auth: Auth, userId: string, accessToken: string) {
  // #region options
  await using scoped = await auth.session(userId, {
    providers: ['sandbox'],                              // any other provider: PROVIDER_NOT_IN_SESSION
    withCredentials: { sandbox: { accessToken } },       // used instead of the store, never written to it
  });
  const token = await scoped.sandbox.accessToken();      // typed per provider: session.<id>
  // #endregion options
  return token;
}
