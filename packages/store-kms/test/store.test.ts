import { describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import {
  MemoryCredentialStore, type CredentialStore, type LockOptions, type RecordKey, type StoreLock,
} from '@authmanager/core';
import type { KmsServer } from '@authmanager/testing';
import { randomBytes } from 'node:crypto';
import { AwsKmsKeyProvider, KmsEncryptedCredentialStore, LocalKeyProvider, type DataKeyScope } from '../src/index.js';
import { codeOf, kmsClient, newKey, plain, rejectionOf, useKmsServer } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
useKmsServer((server, kmsClientForServer) => { kms = server; client = kmsClientForServer; });

/** A memory store with a recording `lock`, standing in for a shared store such as Redis. */
class LockingStore extends MemoryCredentialStore {
  readonly locked: Array<{ key: RecordKey; options: LockOptions }> = [];

  async lock(key: RecordKey, options: LockOptions): Promise<StoreLock> {
    this.locked.push({ key, options });
    return { token: 'inner-token', release: async () => undefined };
  }

  readonly awaited: Array<{ key: RecordKey; timeoutMs: number }> = [];

  async lockReleased(key: RecordKey, timeoutMs: number): Promise<boolean> {
    this.awaited.push({ key, timeoutMs });
    return false;
  }
}

describe('KmsEncryptedCredentialStore', () => {
  it('passes lock through to an inner store that has one', async () => {
    const inner = new LockingStore();
    const store: CredentialStore = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: randomBytes(32) }));
    const key = newKey();
    const held = await store.lock!(key, { ttlMs: 5_000, waitMs: 100 });
    expect({ token: held.token, calls: inner.locked }).toEqual({ token: 'inner-token', calls: [{ key, options: { ttlMs: 5_000, waitMs: 100 } }] });
  });

  it('passes lockReleased through to an inner store that has one', async () => {
    const inner = new LockingStore();
    const store: CredentialStore = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: randomBytes(32) }));
    const key = newKey();
    const released = await store.lockReleased!(key, 250);
    expect({ released, calls: inner.awaited }).toEqual({ released: false, calls: [{ key, timeoutMs: 250 }] });
  });

  it('has no lock and no lockReleased when the inner store has none', () => {
    const store: CredentialStore = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), new LocalKeyProvider({ key: randomBytes(32) }));
    expect({ lock: store.lock, lockReleased: store.lockReleased }).toEqual({ lock: undefined, lockReleased: undefined });
  });

  it.each<DataKeyScope>(['record', 'store'])('binds the fixed encryptionContext: another context cannot read the record (%s scope)', async (dataKeyScope) => {
    const keyId = kms.createKey();
    const inner = new MemoryCredentialStore();
    const billing = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { dataKeyScope, encryptionContext: { app: 'billing' } });
    const key = newKey();
    await billing.set(key, 'token');
    const support = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { encryptionContext: { app: 'support' } });
    const sameApp = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { encryptionContext: { app: 'billing' } });
    expect({ other: codeOf(await rejectionOf(support.get(key))), same: plain(await sameApp.get(key)) })
      .toEqual({ other: 'DECRYPTION_FAILED', same: { value: 'token', version: 1 } });
  });

  it('refuses encryptionContext names in the reserved authmanager: namespace with CONFIGURATION', () => {
    let err: unknown;
    try {
      new KmsEncryptedCredentialStore(new MemoryCredentialStore(), new LocalKeyProvider({ key: randomBytes(32) }), {
        encryptionContext: { 'authmanager:subject': 'x' },
      });
    } catch (e) {
      err = e;
    }
    expect(codeOf(err)).toBe('CONFIGURATION');
  });

  it('reads records of either data-key scope, whatever scope it writes', async () => {
    const keyId = kms.createKey();
    const inner = new MemoryCredentialStore();
    const recordScoped = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { dataKeyScope: 'record' });
    const storeScoped = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { dataKeyScope: 'store' });
    const a = newKey();
    const b = newKey();
    await recordScoped.set(a, 'from-record-scope');
    await storeScoped.set(b, 'from-store-scope');
    expect({
      a: (await storeScoped.get(a))?.value, b: (await recordScoped.get(b))?.value,
      scopes: [(await inner.get(a))?.value.slice(0, 7), (await inner.get(b))?.value.slice(0, 7)],
    }).toEqual({ a: 'from-record-scope', b: 'from-store-scope', scopes: ['amk2.r.', 'amk2.s.'] });
  });

  it('sends the record\'s kind, provider, subject, generation and version to KMS as encryption context (record scope)', async () => {
    const keyId = kms.createKey();
    const inner = new MemoryCredentialStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { dataKeyScope: 'record' });
    const key = newKey();
    await store.set(key, 'v1');
    const stored = (await inner.get(key))!.value.split('.');
    const wrapped = Buffer.from(stored[4]!, 'base64url');
    const provider = new AwsKmsKeyProvider({ keyId, client });
    const context = {
      'authmanager:kind': key.kind, 'authmanager:provider': key.provider, 'authmanager:subject': key.subject,
      'authmanager:generation': stored[3]!,
    };
    const right = await provider.decryptDataKey(kms.keyArn(keyId), wrapped, { ...context, 'authmanager:version': '1' });
    const wrongVersion = await rejectionOf(provider.decryptDataKey(kms.keyArn(keyId), wrapped, { ...context, 'authmanager:version': '2' }));
    const otherGeneration = await rejectionOf(provider.decryptDataKey(kms.keyArn(keyId), wrapped, {
      ...context, 'authmanager:generation': randomBytes(16).toString('base64url'), 'authmanager:version': '1',
    }));
    expect({ right: right.length, wrongVersion: codeOf(wrongVersion), otherGeneration: codeOf(otherGeneration) })
      .toEqual({ right: 32, wrongVersion: 'DECRYPTION_FAILED', otherGeneration: 'DECRYPTION_FAILED' });
  });
});

/** A memory store that counts inner reads and writes. */
class CountingStore extends MemoryCredentialStore {
  gets = 0;
  sets = 0;

  override async get(key: RecordKey) {
    this.gets += 1;
    return super.get(key);
  }

  override async set(key: RecordKey, value: string, options?: Parameters<MemoryCredentialStore['set']>[2]) {
    this.sets += 1;
    return super.set(key, value, options);
  }
}

describe('writes of a record this store has seen', () => {
  it('cost one inner write and no inner read (the version and generation it saw are used)', async () => {
    const inner = new CountingStore();
    const store = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: randomBytes(32) }));
    const key = newKey();
    await store.set(key, 'v1');
    await store.get(key);
    inner.gets = 0;
    inner.sets = 0;
    await store.set(key, 'v2');
    await store.set(key, 'v3', { ifVersion: 2 });
    expect({ gets: inner.gets, sets: inner.sets, read: plain(await store.get(key)) }).toEqual({ gets: 0, sets: 2, read: { value: 'v3', version: 3 } });
  });

  it('still land when another writer changed the record meanwhile (a stale guess is retried with a read, even with maxWriteAttempts 1)', async () => {
    const inner = new MemoryCredentialStore();
    const provider = new LocalKeyProvider({ key: randomBytes(32) });
    const ours = new KmsEncryptedCredentialStore(inner, provider, { maxWriteAttempts: 1 });
    const theirs = new KmsEncryptedCredentialStore(inner, provider);
    const key = newKey();
    await ours.set(key, 'v1');
    await theirs.set(key, 'theirs');
    const written = await ours.set(key, 'ours');
    expect({ written: plain(written), readByThem: plain(await theirs.get(key)) })
      .toEqual({ written: { value: 'ours', version: 3 }, readByThem: { value: 'ours', version: 3 } });
  });
});
