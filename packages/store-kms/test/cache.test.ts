import { describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import { MemoryCredentialStore } from '@authmanager/core';
import type { KmsServer } from '@authmanager/testing';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AwsKmsKeyProvider, KmsEncryptedCredentialStore, LocalKeyProvider,
  type EncryptionContext, type GeneratedDataKey, type KeyProvider, type KmsEncryptedCredentialStoreOptions,
} from '../src/index.js';
import { kmsClient, newKey, useKmsServer } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
useKmsServer((server, kmsClientForServer) => { kms = server; client = kmsClientForServer; });

function awsStore(options: KmsEncryptedCredentialStoreOptions, inner = new MemoryCredentialStore()): KmsEncryptedCredentialStore {
  return new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: kms.createKey(), client }), options);
}

describe('KMS calls are bounded by the cache window, not made per read or write', () => {
  it('10,000 reads of a record cost ceil(10,000 / maxUses) - 1 Decrypt calls (the write\'s key serves the first maxUses)', async () => {
    const store = awsStore({ cache: { maxUses: 1_000 } });
    const key = newKey();
    await store.set(key, 'token');
    kms.resetCounts();
    for (let i = 0; i < 10_000; i++) await store.get(key);
    expect(kms.counts()).toEqual({ Decrypt: 9 });
  });

  it('record scope: 10,000 reads spread over 100 records written by another process cost one Decrypt per record', async () => {
    const inner = new MemoryCredentialStore();
    const writer = awsStore({ dataKeyScope: 'record' }, inner);
    const keys = Array.from({ length: 100 }, () => newKey());
    for (const key of keys) await writer.set(key, `token-${key.subject}`);
    const reader = new KmsEncryptedCredentialStore(inner, writer.keyProvider);
    kms.resetCounts();
    for (let round = 0; round < 100; round++) for (const key of keys) await reader.get(key);
    expect(kms.counts()).toEqual({ Decrypt: 100 });
  });

  it('store scope (the default): 10,000 reads spread over 100 records written by another process cost one Decrypt in all', async () => {
    const inner = new MemoryCredentialStore();
    const writer = awsStore({}, inner);
    const keys = Array.from({ length: 100 }, () => newKey());
    for (const key of keys) await writer.set(key, `token-${key.subject}`);
    const reader = new KmsEncryptedCredentialStore(inner, writer.keyProvider);
    kms.resetCounts();
    for (let round = 0; round < 100; round++) for (const key of keys) await reader.get(key);
    expect(kms.counts()).toEqual({ Decrypt: 1 });
  });

  it('without a cache every read is a Decrypt call (the baseline the cache removes)', async () => {
    const store = awsStore({ cache: false });
    const key = newKey();
    await store.set(key, 'token');
    kms.resetCounts();
    for (let i = 0; i < 100; i++) await store.get(key);
    expect(kms.counts()).toEqual({ Decrypt: 100 });
  });

  it('a cached key is used no longer than maxAgeMs', async () => {
    let nowMs = 0;
    const store = awsStore({ cache: { maxAgeMs: 60_000 }, now: () => nowMs });
    const key = newKey();
    await store.set(key, 'token');
    kms.resetCounts();
    await store.get(key);
    nowMs = 59_999;
    await store.get(key);
    const within = kms.requestCount('Decrypt');
    nowMs = 60_000;
    await store.get(key);
    await store.get(key);
    expect({ within, after: kms.requestCount('Decrypt') }).toEqual({ within: 0, after: 1 });
  });

  it('concurrent reads on a cold cache share one Decrypt call', async () => {
    const inner = new MemoryCredentialStore();
    const writer = awsStore({}, inner);
    const key = newKey();
    await writer.set(key, 'token');
    const reader = new KmsEncryptedCredentialStore(inner, writer.keyProvider);
    kms.resetCounts();
    const reads = await Promise.all(Array.from({ length: 50 }, () => reader.get(key)));
    expect({ values: new Set(reads.map((r) => r?.value)), calls: kms.counts() }).toEqual({
      values: new Set(['token']), calls: { Decrypt: 1 },
    });
  });

  it('store scope: 1,000 writes cost 1,000 / maxUses GenerateDataKey calls, and reading them back costs none', async () => {
    const store = awsStore({ dataKeyScope: 'store', cache: { maxUses: 100 } });
    const keys = Array.from({ length: 1_000 }, () => newKey());
    kms.resetCounts();
    for (const key of keys) await store.set(key, 'token', { ifVersion: null });
    const afterWrites = kms.counts();
    for (const key of keys) await store.get(key);
    expect({ afterWrites, afterReads: kms.counts() }).toEqual({ afterWrites: { GenerateDataKey: 10 }, afterReads: { GenerateDataKey: 10 } });
  });

  it('record scope: each write costs one GenerateDataKey (the data key is bound to that record version)', async () => {
    const store = awsStore({ dataKeyScope: 'record' });
    kms.resetCounts();
    for (let i = 0; i < 20; i++) await store.set(newKey(), 'token', { ifVersion: null });
    expect(kms.counts()).toEqual({ GenerateDataKey: 20 });
  });
});

/** Records every plaintext key buffer handed out, to check that the store zeroes them. */
class RecordingKeyProvider implements KeyProvider {
  readonly handedOut: Buffer[] = [];
  readonly #inner = new LocalKeyProvider({ key: randomBytes(32) });

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const dataKey = await this.#inner.generateDataKey(context);
    this.handedOut.push(dataKey.plaintextKey);
    return dataKey;
  }

  async decryptDataKey(keyId: string, wrappedKey: Buffer, context: EncryptionContext): Promise<Buffer> {
    const key = await this.#inner.decryptDataKey(keyId, wrappedKey, context);
    this.handedOut.push(key);
    return key;
  }

  zeroed(): boolean[] {
    return this.handedOut.map((key) => key.every((byte) => byte === 0));
  }
}

describe('plaintext data keys are zeroed', () => {
  it('when used up (maxUses reached)', async () => {
    const keys = new RecordingKeyProvider();
    const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys, { dataKeyScope: 'record', cache: { maxUses: 3 } });
    const key = newKey();
    await store.set(key, 'token');
    const afterWrite = keys.zeroed();
    for (let i = 0; i < 3; i++) await store.get(key);
    expect({ afterWrite, afterReads: keys.zeroed() }).toEqual({ afterWrite: [false], afterReads: [true] });
  });

  it('when maxAgeMs passes, even with no further access (timer)', async () => {
    const keys = new RecordingKeyProvider();
    const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys, { cache: { maxAgeMs: 50 } });
    await store.set(newKey(), 'token');
    const before = keys.zeroed();
    await sleep(120);
    expect({ before, after: keys.zeroed() }).toEqual({ before: [false], after: [true] });
  });

  it('on close()', async () => {
    const keys = new RecordingKeyProvider();
    const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys, { dataKeyScope: 'store' });
    const key = newKey();
    await store.set(key, 'token');
    await store.get(key);
    const before = keys.zeroed();
    await store.close();
    expect({ before: before.some((z) => z), after: keys.zeroed().every((z) => z) }).toEqual({ before: false, after: true });
  });

  it('right after use when the cache is off', async () => {
    const keys = new RecordingKeyProvider();
    const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys, { cache: false });
    const key = newKey();
    await store.set(key, 'token');
    await store.get(key);
    expect(keys.zeroed()).toEqual([true, true]);
  });
});
