import { AuthManagerError, MemoryCredentialStore, processEnv, type CredentialStore, type EnvSource } from '@authmanager/core';

/** A credential store and how the page names it. */
export interface SelectedStore {
  readonly store: CredentialStore;
  /** e.g. `"Memory"`, `"Redis (127.0.0.1:6379)"`, `"KMS-encrypted Redis (127.0.0.1:6379) · AWS KMS key alias/demo"`. */
  readonly label: string;
}

/**
 * Where a Redis URL points, for display: host, port and database, never the user or password.
 * @returns e.g. `"127.0.0.1:6379"`, `"redis.internal:6380/2 (TLS)"`
 */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.replace(/^\//, '');
    return `${parsed.hostname}:${parsed.port || '6379'}${db ? `/${db}` : ''}${parsed.protocol === 'rediss:' ? ' (TLS)' : ''}`;
  } catch {
    return 'REDIS_URL';
  }
}

/**
 * Picks the credential store from the environment:
 * - `REDIS_URL` set → `RedisCredentialStore` (`@authmanager/store-redis`), else the in-process memory store;
 * - then `AUTHMANAGER_KMS_KEY_ID` set → wrapped in `KmsEncryptedCredentialStore` with `AwsKmsKeyProvider`
 *   (region, credentials and endpoint from the AWS SDK's usual variables; `AUTHMANAGER_KMS_KEY_ID_PREVIOUS`,
 *   comma-separated key ARNs, lists keys that older records may still be sealed under), or `AUTHMANAGER_LOCAL_KEY`
 *   set → wrapped with `LocalKeyProvider` (a base64 32-byte key; development only).
 *
 * The store packages are loaded only when asked for, so the memory demo needs neither.
 *
 * @param env - where variables are read. @default processEnv
 * @throws AuthManagerError `CONFIGURATION` when a key variable is malformed (the message names the
 *   variable, never its value); whatever the store packages throw when they cannot start
 */
export async function createCredentialStore(env: EnvSource = processEnv): Promise<SelectedStore> {
  const redisUrl = env('REDIS_URL');
  let store: CredentialStore;
  let label: string;
  if (redisUrl) {
    const { RedisCredentialStore } = await import('@authmanager/store-redis');
    store = new RedisCredentialStore({ redis: redisUrl });
    label = `Redis (${describeRedisUrl(redisUrl)})`;
  } else {
    store = new MemoryCredentialStore();
    label = 'Memory (this process only)';
  }

  const kmsKeyId = env('AUTHMANAGER_KMS_KEY_ID');
  const localKey = env('AUTHMANAGER_LOCAL_KEY');
  if (!kmsKeyId && !localKey) return { store, label };

  try {
    const { AwsKmsKeyProvider, KmsEncryptedCredentialStore, LocalKeyProvider } = await import('@authmanager/store-kms');
    if (kmsKeyId) {
      const previousKeyIds = (env('AUTHMANAGER_KMS_KEY_ID_PREVIOUS') ?? '').split(',').map((k) => k.trim()).filter(Boolean);
      const keys = new AwsKmsKeyProvider({ keyId: kmsKeyId, ...(previousKeyIds.length > 0 ? { previousKeyIds } : {}) });
      return { store: new KmsEncryptedCredentialStore(store, keys), label: `KMS-encrypted ${label} · AWS KMS key ${kmsKeyId}` };
    }
    const keys = LocalKeyProvider.fromEnv({ env });
    return { store: new KmsEncryptedCredentialStore(store, keys), label: `Locally encrypted ${label} · AUTHMANAGER_LOCAL_KEY (${keys.keyId})` };
  } catch (err) {
    await store.close?.();
    throw err;
  }
}

/**
 * Checks at start that the store answers (one `get` of a key no one writes), so an unreachable
 * `REDIS_URL` stops the demo with one clear line instead of failing the first visitor's request.
 * The memory store always answers; a wrapped store is checked through its wrapper (reading a
 * missing record asks nothing of KMS).
 * @param selected - what {@link createCredentialStore} returned
 * @throws Error naming the store (host, port, database; never a password) and the error code, e.g.
 *   `the credential store Redis (127.0.0.1:6390) did not answer (STORE_UNAVAILABLE); is it running? Check REDIS_URL.`
 */
export async function checkCredentialStore(selected: SelectedStore): Promise<void> {
  try {
    await selected.store.get({ kind: 'credentials', provider: 'connect-demo', subject: 'startup-probe' });
  } catch (err) {
    const code = AuthManagerError.is(err) ? err.code : err instanceof Error ? err.name : 'error';
    const hint = selected.label.includes('Redis') ? '; is it running? Check REDIS_URL.' : '.';
    throw new Error(`the credential store ${selected.label} did not answer (${code})${hint}`, { cause: err });
  }
}
