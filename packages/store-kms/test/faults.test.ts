import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import { AuthManagerError, MemoryCredentialStore } from '@authmanager/core';
import { startKmsServer, type KmsErrorType, type KmsOperation, type KmsServer } from '@authmanager/testing';
import { AwsKmsKeyProvider, KmsEncryptedCredentialStore, type DataKeyScope } from '../src/index.js';
import { causeName, codeOf, kmsClient, newKey, plain, rejectionOf } from './helpers.js';

const SECRET = 'ya29.very-secret-access-token';

let kms: KmsServer;
/** No SDK retries: each injected fault reaches the store. */
let client: KMSClient;
let retryingClient: KMSClient;

beforeAll(async () => {
  kms = await startKmsServer();
  client = kmsClient(kms, { maxAttempts: 1 });
  retryingClient = kmsClient(kms, { maxAttempts: 3 });
});

afterAll(async () => {
  client.destroy();
  retryingClient.destroy();
  await kms.stop();
});

/** A record written as version 1 with `SECRET`, and a store without cache so every call reaches KMS. */
async function fixture(dataKeyScope: DataKeyScope = 'record') {
  const keyId = kms.createKey();
  const inner = new MemoryCredentialStore();
  const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { dataKeyScope, cache: false });
  const key = newKey();
  await store.set(key, SECRET);
  const before = plain(await inner.get(key));
  return { keyId, inner, store, key, before };
}

function leaks(err: unknown): boolean {
  const text = `${String((err as Error).message)} ${JSON.stringify(AuthManagerError.is(err) ? err.toJSON() : null)}`;
  return text.includes(SECRET) || text.includes('new-secret');
}

describe.each<DataKeyScope>(['record', 'store'])('key-service faults (%s scope)', (dataKeyScope) => {
  it('a disabled key: writes and reads fail with KEY_MANAGEMENT_FAILED naming DisabledException; the record is untouched', async () => {
    const { keyId, inner, store, key, before } = await fixture(dataKeyScope);
    kms.disableKey(keyId);
    const write = await rejectionOf(store.set(key, 'new-secret'));
    const read = await rejectionOf(store.get(key));
    const take = await rejectionOf(store.take(key));
    kms.enableKey(keyId);
    expect({
      codes: [codeOf(write), codeOf(read), codeOf(take)],
      named: [write, read, take].every((e) => String((e as Error).message).includes('DisabledException')),
      causes: [causeName(write), causeName(read)],
      leaks: [write, read, take].some(leaks),
      record: plain(await inner.get(key)),
      readable: plain(await store.get(key)),
    }).toEqual({
      codes: ['KEY_MANAGEMENT_FAILED', 'KEY_MANAGEMENT_FAILED', 'KEY_MANAGEMENT_FAILED'],
      named: true, causes: ['DisabledException', 'DisabledException'], leaks: false,
      record: before, readable: { value: SECRET, version: 1 },
    });
  });

  it.each<[KmsOperation, KmsErrorType, 'set' | 'get']>([
    ['GenerateDataKey', 'ThrottlingException', 'set'],
    ['Decrypt', 'ThrottlingException', 'get'],
    ['GenerateDataKey', 'AccessDeniedException', 'set'],
    ['Decrypt', 'AccessDeniedException', 'get'],
    ['Decrypt', 'KMSInvalidStateException', 'get'],
    ['GenerateDataKey', 'NotFoundException', 'set'],
  ])('%s answering %s: %s fails with KEY_MANAGEMENT_FAILED and the record is untouched', async (operation, type, method) => {
    const { inner, store, key, before } = await fixture(dataKeyScope);
    kms.failNext(operation, type);
    const err = await rejectionOf(method === 'set' ? store.set(key, 'new-secret') : store.get(key));
    expect({
      code: codeOf(err), named: String((err as Error).message).includes(type), cause: causeName(err), leaks: leaks(err),
      record: plain(await inner.get(key)),
    }).toEqual({ code: 'KEY_MANAGEMENT_FAILED', named: true, cause: type, leaks: false, record: before });
  });
});

describe('throttling', () => {
  it('a single ThrottlingException is absorbed by the SDK\'s retry (the client\'s maxAttempts)', async () => {
    const keyId = kms.createKey();
    const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), new AwsKmsKeyProvider({ keyId, client: retryingClient }));
    kms.resetCounts();
    kms.failNext('GenerateDataKey', 'ThrottlingException');
    const written = plain(await store.set(newKey(), 'value'));
    expect({ written, calls: kms.requestCount('GenerateDataKey') }).toEqual({ written: { value: 'value', version: 1 }, calls: 2 });
  });

  it('take() keeps a record whose data key cannot be unwrapped, so a later take gets it', async () => {
    const keyId = kms.createKey();
    const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), new AwsKmsKeyProvider({ keyId, client }), { cache: false });
    const key = newKey('pending');
    await store.set(key, 'state-payload', { ttlMs: 60_000 });
    kms.failNext('Decrypt', 'ThrottlingException');
    const first = codeOf(await rejectionOf(store.take(key)));
    const second = plain(await store.take(key));
    expect({ first, second, gone: await store.get(key) }).toEqual({
      first: 'KEY_MANAGEMENT_FAILED', second: { value: 'state-payload', version: 1 }, gone: undefined,
    });
  });
});

describe('key service unreachable', () => {
  it('fails with STORE_UNAVAILABLE naming the network error and writes nothing', async () => {
    const own = await startKmsServer();
    const ownClient = kmsClient(own, { maxAttempts: 1 });
    const keyId = own.createKey();
    const inner = new MemoryCredentialStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client: ownClient }), { cache: false });
    const key = newKey();
    const absent = newKey();
    await store.set(key, SECRET);
    const before = plain(await inner.get(key));
    await own.stop();
    const write = await rejectionOf(store.set(key, 'new-secret'));
    const create = await rejectionOf(store.set(absent, 'new-secret'));
    const read = await rejectionOf(store.get(key));
    ownClient.destroy();
    expect({
      codes: [codeOf(write), codeOf(create), codeOf(read)],
      // The first request may meet the pooled connection the server just closed ("socket hang up").
      named: [write, create, read].every((e) => /could not reach the key service.*(ECONNREFUSED|ECONNRESET|socket hang up)/.test(String((e as Error).message))),
      causes: [write, create, read].every((e) => (e as { cause?: unknown }).cause !== undefined),
      leaks: [write, create, read].some(leaks),
      record: plain(await inner.get(key)),
      absent: await inner.get(absent),
    }).toEqual({
      codes: ['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE'],
      named: true, causes: true, leaks: false, record: before, absent: undefined,
    });
  });

  it('never writes plaintext when KMS refuses: the inner store holds only the one amk2 record written before', async () => {
    const { keyId, inner, store } = await fixture();
    const keys = [newKey(), newKey(), newKey()];
    kms.disableKey(keyId);
    for (const key of keys) await rejectionOf(store.set(key, 'new-secret'));
    kms.enableKey(keyId);
    kms.failNext('GenerateDataKey', 'AccessDeniedException', 3);
    for (const key of keys) await rejectionOf(store.set(key, 'new-secret'));
    const values: string[] = [];
    for await (const key of inner.list({ kind: 'credentials' })) values.push((await inner.get(key))!.value);
    expect({ count: values.length, allEncrypted: values.every((v) => v.startsWith('amk2.') && !v.includes('secret')) })
      .toEqual({ count: 1, allEncrypted: true });
  });
});
