import { describeCredentialStore } from '@authmanager/testing/conformance';
import { KmsEncryptedCredentialStore, LocalKeyProvider } from '@authmanager/store-kms';
import { randomBytes } from 'node:crypto';
import { SqlCredentialStore } from '../src/index.js';

// The KMS store wraps the SQL store like any store: envelope-encrypted records in SQLite, and the
// whole contract (versions, compare-and-set, take, expiry, lock) still holds through the wrapper.
let fixture: Promise<{ store: KmsEncryptedCredentialStore; cleanup: () => Promise<void> }> | undefined;
describeCredentialStore('KmsEncryptedCredentialStore around SqlCredentialStore (SQLite in memory)', () => (fixture ??= (async () => {
  const inner = new SqlCredentialStore({ database: 'sqlite::memory:' });
  await inner.migrate();
  const store = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: randomBytes(32) }));
  return { store, cleanup: () => store.close() };
})()), { requireLock: true });
