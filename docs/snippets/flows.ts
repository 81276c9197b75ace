import { AuthManager, AuthManagerError } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';

type Reply = { status: number; body: string };

/** A callback handler as an app would write it (docs/flows.md). */
export function makeCallbackHandler(auth: AuthManager<[ReturnType<typeof sandbox>]>) {
  // #region callback
  async function handleCallback(callbackUrl: string): Promise<Reply> {
    try {
      // exchange + store under the subject that started the authorization
      const { subject } = await auth.sandbox.oauth2.complete({ callbackUrl });
      return { status: 303, body: `connected ${subject}` };
    } catch (err) {
      if (AuthManagerError.is(err, 'AUTHORIZATION_DENIED')) return { status: 400, body: 'You declined access.' };
      if (AuthManagerError.is(err, 'INVALID_STATE')) return { status: 400, body: 'This link expired or was already used; connect again.' };
      if (AuthManagerError.is(err, 'PROVIDER_UNAVAILABLE')) return { status: 503, body: 'The provider is not answering; try again.' };
      throw err;
    }
  }
  // #endregion callback
  return handleCallback;
}

/** Disconnecting (docs/flows.md). */
export async function disconnect(auth: AuthManager<[ReturnType<typeof sandbox>]>, subject: string) {
  // #region revoke
  // RFC 7009 revocation at the provider, then the stored credential is deleted.
  const existed = await auth.sandbox.oauth2.revoke({ subject });
  // #endregion revoke
  return existed;
}

/** A provider defined outside this repository (docs/flows.md). */
export * from './customProvider.js';

export { AuthManager };
