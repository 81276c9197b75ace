import { afterAll, beforeAll } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import { MemoryCredentialStore } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { startKmsServer, startRedisServer, type KmsServer, type RedisServerHandle } from '@authmanager/testing';
import { describeCredentialStore } from '@authmanager/testing/conformance';
import { randomBytes } from 'node:crypto';
import { AwsKmsKeyProvider, KmsEncryptedCredentialStore, LocalKeyProvider, type KmsEncryptedCredentialStoreOptions } from '../src/index.js';
import { kmsClient } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
let redis: RedisServerHandle;

beforeAll(async () => {
  kms = await startKmsServer();
  kms.createKey({ alias: 'alias/authmanager-conformance' });
  client = kmsClient(kms);
  redis = await startRedisServer();
});

afterAll(async () => {
  client.destroy();
  await kms.stop();
  await redis.stop();
});

/** One store per suite (the suite uses unique names per test), closed once by the suite. */
function sharedStore(create: () => KmsEncryptedCredentialStore): () => Promise<{ store: KmsEncryptedCredentialStore; cleanup: () => Promise<void> }> {
  let store: KmsEncryptedCredentialStore | undefined;
  const cleanup = async (): Promise<void> => { await store?.close(); };
  return async () => ({ store: (store ??= create()), cleanup });
}

function overAwsKms(options: KmsEncryptedCredentialStoreOptions): () => KmsEncryptedCredentialStore {
  return () => new KmsEncryptedCredentialStore(
    new MemoryCredentialStore(), new AwsKmsKeyProvider({ keyId: 'alias/authmanager-conformance', client }), options,
  );
}

describeCredentialStore('KMS(memory), AWS KMS, record-scope data keys', sharedStore(overAwsKms({})));
describeCredentialStore('KMS(memory), AWS KMS, store-scope data keys', sharedStore(overAwsKms({ dataKeyScope: 'store' })));
describeCredentialStore('KMS(memory), AWS KMS, no cache', sharedStore(overAwsKms({ cache: false })));
describeCredentialStore('KMS(memory), local key', sharedStore(() => new KmsEncryptedCredentialStore(
  new MemoryCredentialStore(), new LocalKeyProvider({ key: randomBytes(32) }),
)));
describeCredentialStore('KMS(Redis), AWS KMS, record-scope data keys (real redis-server)', sharedStore(() => new KmsEncryptedCredentialStore(
  new RedisCredentialStore({ redis: redis.url }), new AwsKmsKeyProvider({ keyId: 'alias/authmanager-conformance', client }),
)), { requireLock: true });
describeCredentialStore('KMS(Redis), AWS KMS, store-scope data keys (real redis-server)', sharedStore(() => new KmsEncryptedCredentialStore(
  new RedisCredentialStore({ redis: redis.url }), new AwsKmsKeyProvider({ keyId: 'alias/authmanager-conformance', client }),
  { dataKeyScope: 'store' },
)), { requireLock: true });
