import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';

/** The label of a subject's connection when it has one per provider. */
export const DEFAULT_CONNECTION = 'default';

const LABEL = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The provider part of a connection's store key. The default connection is stored under the
 * provider id itself (so records written before labels existed are the default connection); another
 * label under `<provider>#<label>`. Provider ids cannot contain `#` (the manager refuses them), so
 * the key is unambiguous, and a KMS-encrypted record is bound to its label like to its provider.
 * @throws AuthManagerError `CONFIGURATION` for a label that is not 1–64 of `A-Z a-z 0-9 . _ -`
 */
export function connectionStoreProvider(provider: string, connection: string | undefined): string {
  if (connection === undefined || connection === DEFAULT_CONNECTION) return provider;
  if (!LABEL.test(connection)) {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, 'A connection label is 1 to 64 letters, digits, ".", "_" or "-"', { provider });
  }
  return `${provider}#${connection}`;
}

/** The provider id and connection label of a store key's provider part (see {@link connectionStoreProvider}). */
export function parseConnectionStoreProvider(storeProvider: string): { readonly provider: string; readonly connection: string } {
  const hash = storeProvider.indexOf('#');
  return hash < 0
    ? { provider: storeProvider, connection: DEFAULT_CONNECTION }
    : { provider: storeProvider.slice(0, hash), connection: storeProvider.slice(hash + 1) };
}
