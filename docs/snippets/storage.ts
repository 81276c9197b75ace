import { AuthManager, MemoryCredentialStore, envFrom, type ProviderRegistration } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { AwsKmsKeyProvider, KmsEncryptedCredentialStore, LocalKeyProvider } from '@authmanager/store-kms';

/** Stores as docs/storage.md shows them; docs/test/storage.test.ts runs each against real servers. */
export function memory(providers: readonly ProviderRegistration[]) {
  // #region memory
  const auth = new AuthManager({ providers, store: new MemoryCredentialStore() }); // the default when `store` is omitted
  // #endregion memory
  return auth;
}

export function redis(providers: readonly ProviderRegistration[], redisUrl: string) {
  // #region redis
  const store = new RedisCredentialStore({ redis: redisUrl, keyPrefix: 'myapp:auth:' }); // a URL, or an ioredis Redis / Cluster
  const auth = new AuthManager({ providers, store });
  // #endregion redis
  return auth;
}

export function kms(
  providers: readonly ProviderRegistration[], redisUrl: string, keyId: string, kmsClientConfig: object, previousKeyIds: string[] = [],
) {
  // #region kms
  const store = new KmsEncryptedCredentialStore(
    new RedisCredentialStore({ redis: redisUrl }),
    // region, endpoint, credentials: the SDK's usual chain unless given. previousKeyIds: keys being
    // rotated out; a record naming any other key is refused.
    new AwsKmsKeyProvider({ keyId, previousKeyIds, client: kmsClientConfig }),
  );
  const auth = new AuthManager({ providers, store });
  // #endregion kms
  return { auth, store };
}

export function local(providers: readonly ProviderRegistration[], env: Record<string, string>) {
  // #region local
  // AUTHMANAGER_LOCAL_KEY: 32 random bytes, base64 (node -e "console.log(crypto.randomBytes(32).toString('base64'))")
  const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), LocalKeyProvider.fromEnv({ env: envFrom(env) }));
  // #endregion local
  return new AuthManager({ providers, store });
}

export async function rotate(store: KmsEncryptedCredentialStore) {
  const lines: string[] = [];
  // #region rotate
  // After pointing the KMS alias at a new key: re-encrypt every record under it (resumable; safe to rerun).
  const result = await store.rotate({
    onProgress: (p) => lines.push(`${p.scanned} scanned, ${p.reencrypted} re-encrypted, ${p.skipped} already current`),
  });
  // #endregion rotate
  return { result, lines };
}
