import { describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import { MemoryCredentialStore, type RecordKey } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { startRedisServer, type KmsServer } from '@authmanager/testing';
import { randomBytes } from 'node:crypto';
import {
  AwsKmsKeyProvider, KmsEncryptedCredentialStore, LocalKeyProvider, type DataKeyScope, type RotationProgress,
} from '../src/index.js';
import { codeOf, kmsClient, newKey, plain, rejectionOf, TamperableStore, useKmsServer } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
useKmsServer((server, kmsClientForServer) => { kms = server; client = kmsClientForServer; });

/** Key ARN named in a stored record's header. */
function headerKeyId(stored: string | undefined): string {
  return Buffer.from(stored?.split('.')[2] ?? '', 'base64url').toString('utf8');
}

async function headerKeyIds(inner: MemoryCredentialStore, keys: readonly RecordKey[]): Promise<string[]> {
  return Promise.all(keys.map(async (key) => headerKeyId((await inner.get(key))?.value)));
}

/**
 * Records under an alias's first key, then the alias moved to a second key. The store lists the
 * first key in `previousKeyIds`, as a rotation needs.
 */
async function rotatedAliasFixture(count: number, dataKeyScope: DataKeyScope = 'record') {
  const alias = `alias/rotation-${randomBytes(4).toString('hex')}`;
  const oldKey = kms.createKey({ alias });
  const inner = new MemoryCredentialStore();
  const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, previousKeyIds: [oldKey], client }), { dataKeyScope });
  const keys = Array.from({ length: count }, () => newKey());
  for (const [i, key] of keys.entries()) await store.set(key, `token-${i}`);
  const newKeyId = kms.createKey();
  kms.setAlias(alias, newKeyId);
  return { alias, oldKey, newKeyId, inner, store, keys };
}

describe.each<DataKeyScope>(['record', 'store'])('rotation of the AWS KMS key behind an alias (%s scope)', (dataKeyScope) => {
  it('keeps records written under the old key readable, and writes new ones under the new key', async () => {
    const { oldKey, newKeyId, inner, keys } = await rotatedAliasFixture(3, dataKeyScope);
    // A new store instance (as after a deploy) has no cached key from before the move.
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({
      keyId: kms.keyArn(newKeyId), previousKeyIds: [kms.keyArn(oldKey)], client,
    }), { dataKeyScope });
    const fresh = newKey();
    await store.set(fresh, 'new-token');
    const reads = await Promise.all(keys.map(async (key) => plain(await store.get(key))));
    expect({
      reads,
      oldHeaders: await headerKeyIds(inner, keys),
      freshHeader: headerKeyId((await inner.get(fresh))?.value),
    }).toEqual({
      reads: keys.map((_, i) => ({ value: `token-${i}`, version: 1 })),
      oldHeaders: keys.map(() => kms.keyArn(oldKey)),
      freshHeader: kms.keyArn(newKeyId),
    });
  });

  it('rotate() re-encrypts every credentials record under the new key, after which the old key can be disabled', async () => {
    const { oldKey, newKeyId, inner, store, keys } = await rotatedAliasFixture(5, dataKeyScope);
    const result = await store.rotate();
    kms.disableKey(oldKey);
    const reader = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: newKeyId, client }), { cache: false });
    const reads = await Promise.all(keys.map(async (key) => plain(await reader.get(key))));
    kms.enableKey(oldKey);
    expect({ result, headers: await headerKeyIds(inner, keys), reads }).toEqual({
      result: { keyId: kms.keyArn(newKeyId), scanned: 5, reencrypted: 5, skipped: 0, missing: 0, failed: 0, failedKeys: [] },
      headers: keys.map(() => kms.keyArn(newKeyId)),
      reads: keys.map((_, i) => ({ value: `token-${i}`, version: 2 })),
    });
  });
});

describe('rotate()', () => {
  it('reports progress after each record, the last report matching the result', async () => {
    const { store } = await rotatedAliasFixture(4);
    const reports: RotationProgress[] = [];
    const result = await store.rotate({ onProgress: (p) => reports.push(p) });
    expect({ scanned: reports.map((r) => r.scanned), last: reports.at(-1) }).toEqual({
      scanned: [1, 2, 3, 4],
      last: { keyId: result.keyId, scanned: 4, reencrypted: 4, skipped: 0, missing: 0, failed: 0 },
    });
  });

  it('is resumable: stopped by its signal, a second run re-encrypts only the rest', async () => {
    const { newKeyId, inner, store, keys } = await rotatedAliasFixture(10);
    const controller = new AbortController();
    const stopped = await rejectionOf(store.rotate({
      signal: controller.signal,
      onProgress: (p) => { if (p.reencrypted === 4) controller.abort(new Error('maintenance window over')); },
    }));
    const afterFirst = (await headerKeyIds(inner, keys)).filter((id) => id === kms.keyArn(newKeyId)).length;
    const second = await store.rotate();
    const third = await store.rotate();
    expect({
      stopped: (stopped as Error).message, afterFirst,
      second: { reencrypted: second.reencrypted, skipped: second.skipped },
      third: { reencrypted: third.reencrypted, skipped: third.skipped },
      headers: await headerKeyIds(inner, keys),
    }).toEqual({
      stopped: 'maintenance window over', afterFirst: 4,
      second: { reencrypted: 6, skipped: 4 },
      third: { reencrypted: 0, skipped: 10 },
      headers: keys.map(() => kms.keyArn(newKeyId)),
    });
  });

  it('rejects at once with an aborted signal and writes nothing', async () => {
    const { inner, store, keys } = await rotatedAliasFixture(2);
    const before = await Promise.all(keys.map(async (key) => plain(await inner.get(key))));
    const err = await rejectionOf(store.rotate({ signal: AbortSignal.abort() }));
    const after = await Promise.all(keys.map(async (key) => plain(await inner.get(key))));
    expect({ aborted: (err as Error).name, unchanged: JSON.stringify(after) === JSON.stringify(before) })
      .toEqual({ aborted: 'AbortError', unchanged: true });
  });

  it('leaves pending authorizations alone (their TTL cannot be carried over)', async () => {
    const alias = `alias/pending-${randomBytes(4).toString('hex')}`;
    const oldKey = kms.createKey({ alias });
    const inner = new MemoryCredentialStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, previousKeyIds: [oldKey], client }));
    const pending = newKey('pending');
    await store.set(pending, 'pkce-verifier-state', { ttlMs: 60_000 });
    kms.setAlias(alias, kms.createKey());
    const result = await store.rotate();
    expect({ scanned: result.scanned, header: headerKeyId((await inner.get(pending))?.value), read: plain(await store.get(pending)) })
      .toEqual({ scanned: 0, header: kms.keyArn(oldKey), read: { value: 'pkce-verifier-state', version: 1 } });
  });

  it('counts a record that fails authentication as failed, leaves it alone and rotates the others', async () => {
    const alias = `alias/failed-${randomBytes(4).toString('hex')}`;
    const oldKey = kms.createKey({ alias });
    const inner = new TamperableStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, previousKeyIds: [oldKey], client }));
    const good = newKey();
    const bad = newKey();
    await store.set(good, 'good');
    await store.set(bad, 'bad');
    const badStored = (await inner.get(good))!.value; // good's ciphertext under bad's key: fails authentication
    inner.overwriteInPlace(bad, badStored);
    kms.setAlias(alias, kms.createKey());
    const result = await store.rotate();
    expect({
      counts: { reencrypted: result.reencrypted, failed: result.failed }, failedKeys: result.failedKeys,
      badUntouched: (await inner.get(bad))?.value === badStored, good: plain(await store.get(good)),
    }).toEqual({
      counts: { reencrypted: 1, failed: 1 }, failedKeys: [bad], badUntouched: true, good: { value: 'good', version: 2 },
    });
  });

  it('stops with KEY_MANAGEMENT_FAILED when the new key is disabled, leaving every record as it was', async () => {
    const { newKeyId, inner, store, keys } = await rotatedAliasFixture(3);
    const before = await Promise.all(keys.map(async (key) => plain(await inner.get(key))));
    kms.disableKey(newKeyId);
    const err = await rejectionOf(store.rotate());
    kms.enableKey(newKeyId);
    const after = await Promise.all(keys.map(async (key) => plain(await inner.get(key))));
    expect({ code: codeOf(err), unchanged: JSON.stringify(after) === JSON.stringify(before) })
      .toEqual({ code: 'KEY_MANAGEMENT_FAILED', unchanged: true });
  });
});

describe('reencryptOnRead', () => {
  it('rewrites a credentials record found under an old key once, on read, and returns the new version', async () => {
    const alias = `alias/lazy-${randomBytes(4).toString('hex')}`;
    const oldKey = kms.createKey({ alias });
    let nowMs = 1_000_000;
    const inner = new MemoryCredentialStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, previousKeyIds: [oldKey], client }), {
      reencryptOnRead: true, cache: { maxAgeMs: 60_000 }, now: () => nowMs,
    });
    const key = newKey();
    await store.set(key, 'token');
    const newKeyId = kms.createKey();
    kms.setAlias(alias, newKeyId);
    const withinWindow = plain(await store.get(key)); // current key id learned < maxAgeMs ago: not yet noticed
    nowMs += 60_000;
    const first = plain(await store.get(key));
    const second = plain(await store.get(key));
    expect({ withinWindow, first, second, header: headerKeyId((await inner.get(key))?.value) }).toEqual({
      withinWindow: { value: 'token', version: 1 },
      first: { value: 'token', version: 2 },
      second: { value: 'token', version: 2 },
      header: kms.keyArn(newKeyId),
    });
  });

  it('still returns the value when the lazy rewrite cannot be done (new key disabled)', async () => {
    const alias = `alias/lazy-fail-${randomBytes(4).toString('hex')}`;
    const oldKey = kms.createKey({ alias });
    const inner = new MemoryCredentialStore();
    const writer = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, client }));
    const key = newKey();
    await writer.set(key, 'token');
    const newKeyId = kms.createKey();
    kms.setAlias(alias, newKeyId);
    kms.disableKey(newKeyId);
    const reader = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, previousKeyIds: [oldKey], client }), { reencryptOnRead: true });
    const read = plain(await reader.get(key));
    kms.enableKey(newKeyId);
    expect({ read, header: headerKeyId((await inner.get(key))?.value) })
      .toEqual({ read: { value: 'token', version: 1 }, header: kms.keyArn(oldKey) });
  });
});

describe('rotation with LocalKeyProvider', () => {
  it('reads old records through previousKeys, and after rotate() needs only the new key', async () => {
    const oldKey = randomBytes(32);
    const nextKey = randomBytes(32);
    const inner = new MemoryCredentialStore();
    const before = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: oldKey }));
    const keys = [newKey(), newKey(), newKey()];
    for (const key of keys) await before.set(key, `secret-${key.subject}`);
    const withoutOld = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: nextKey }));
    const refused = codeOf(await rejectionOf(withoutOld.get(keys[0]!)));
    const during = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: nextKey, previousKeys: [oldKey] }));
    const result = await during.rotate();
    const reads = await Promise.all(keys.map(async (key) => (await withoutOld.get(key))?.value));
    expect({ refused, reencrypted: result.reencrypted, keyId: result.keyId, reads }).toEqual({
      refused: 'DECRYPTION_FAILED', reencrypted: 3, keyId: new LocalKeyProvider({ key: nextKey }).keyId,
      reads: keys.map((key) => `secret-${key.subject}`),
    });
  });
});

describe('rotation over a real redis-server', () => {
  it('rotate() re-encrypts the records listed by the Redis store, and a second run skips them all', async () => {
    const redis = await startRedisServer();
    const inner = new RedisCredentialStore({ redis: redis.url });
    try {
      const alias = `alias/redis-${randomBytes(4).toString('hex')}`;
      const oldKey = kms.createKey({ alias });
      const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, previousKeyIds: [oldKey], client }));
      const keys = Array.from({ length: 25 }, () => newKey());
      for (const key of keys) await store.set(key, `token-${key.subject}`);
      const newKeyId = kms.createKey();
      kms.setAlias(alias, newKeyId);
      const first = await store.rotate();
      const second = await store.rotate();
      const reads = await Promise.all(keys.map(async (key) => plain(await store.get(key))));
      const headers = await Promise.all(keys.map(async (key) => headerKeyId((await inner.get(key))?.value)));
      expect({ first: first.reencrypted, second: [second.reencrypted, second.skipped], reads, headers }).toEqual({
        first: 25, second: [0, 25],
        reads: keys.map((key) => ({ value: `token-${key.subject}`, version: 2 })),
        headers: keys.map(() => kms.keyArn(newKeyId)),
      });
    } finally {
      await inner.close();
      await redis.stop();
    }
  });
});
