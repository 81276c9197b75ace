import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { RecordKey } from '@authmanager/core';
import { startKmsServer, type KmsServer } from '@authmanager/testing';
import { AwsKmsKeyProvider, KmsEncryptedCredentialStore } from '../src/index.js';
import { codeOf, kmsClient, rejectionOf, TamperableStore } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
let keyId: string;
beforeAll(async () => { kms = await startKmsServer(); keyId = kms.createKey(); client = kmsClient(kms); });
afterAll(async () => { client.destroy(); await kms.stop(); });

const key: RecordKey = { kind: 'credentials', provider: 'p', subject: 'opened' };

// Re-reading an unchanged record skips decryption; these pin that nothing else is skipped with it.
describe('re-reading an unchanged record', () => {
  it('still rejects a record tampered with after it was read', async () => {
    const inner = new TamperableStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }));
    await store.set(key, 'secret-1');
    expect((await store.get(key))!.value).toBe('secret-1');
    const stored = (await inner.memory.get(key))!.value;
    const parts = stored.split('.');
    const body = Buffer.from(parts[7]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[7] = body.toString('base64url');
    inner.overwriteInPlace(key, parts.join('.'));
    expect(codeOf(await rejectionOf(store.get(key)))).toBe('DECRYPTION_FAILED');
  });

  it('still rejects an older version put back after a newer one was read', async () => {
    const inner = new TamperableStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }));
    await store.set(key, 'old');
    const old = (await inner.memory.get(key))!.value;
    await store.set(key, 'new');
    expect((await store.get(key))!.value).toBe('new');
    inner.overwriteInPlace(key, old);
    expect(codeOf(await rejectionOf(store.get(key)))).toBe('DECRYPTION_FAILED');
  });

  it('counts as a use of the data key, so the key budget still bounds plaintext reuse', async () => {
    const inner = new TamperableStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { cache: { maxUses: 10 } });
    await store.set(key, 'v');
    kms.resetCounts();
    for (let i = 0; i < 100; i++) await store.get(key);
    // 100 reads with 10 uses per cached key: the write's key serves the first reads, then one Decrypt per 10.
    expect(kms.requestCount('Decrypt')).toBeGreaterThanOrEqual(9);
    expect(kms.requestCount('Decrypt')).toBeLessThanOrEqual(10);
  });
});

// A record this store wrote is known without decrypting it; these pin that only that exact text and version is.
describe('reading back a record this store wrote', () => {
  it('returns what was written, and a byte changed in place after the write is still rejected', async () => {
    const inner = new TamperableStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }));
    await store.set(key, 'written');
    const readBack = (await store.get(key))!.value;
    const parts = (await inner.memory.get(key))!.value.split('.');
    const tag = Buffer.from(parts[6]!, 'base64url');
    tag[0] = tag[0]! ^ 1;
    parts[6] = tag.toString('base64url');
    inner.overwriteInPlace(key, parts.join('.'));
    expect({ readBack, tampered: codeOf(await rejectionOf(store.get(key))) }).toEqual({ readBack: 'written', tampered: 'DECRYPTION_FAILED' });
  });

  it('is not served once the data key has left the cache: the next read decrypts (one Decrypt)', async () => {
    const inner = new TamperableStore();
    let nowMs = 0;
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { cache: { maxAgeMs: 1_000 }, now: () => nowMs });
    await store.set(key, 'aged');
    nowMs = 1_000;
    kms.resetCounts();
    const value = (await store.get(key))!.value;
    expect({ value, decrypts: kms.requestCount('Decrypt') }).toEqual({ value: 'aged', decrypts: 1 });
  });
});
