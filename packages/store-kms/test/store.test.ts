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
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }));
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
