// Versions restart at 1 when a record is deleted and created again, so (kind, provider, subject,
// version) alone does not name one ciphertext: each record's lifetime has its own generation.
import { describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import { MemoryCredentialStore, type RecordKey } from '@authmanager/core';
import type { KmsServer } from '@authmanager/testing';
import { randomBytes } from 'node:crypto';
import {
  AwsKmsKeyProvider, KmsEncryptedCredentialStore, LocalKeyProvider,
  type DataKeyScope, type EncryptionContext, type GeneratedDataKey, type KeyProvider, type KmsEncryptedCredentialStoreOptions,
} from '../src/index.js';
import { codeOf, newKey, plain, rejectionOf, TamperableStore, useKmsServer } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
let keyId: string;
useKmsServer((server, kmsClientForServer) => { kms = server; client = kmsClientForServer; keyId = server.createKey(); });

function storeOver(inner: TamperableStore, options: KmsEncryptedCredentialStoreOptions = {}): KmsEncryptedCredentialStore {
  return new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), options);
}

/** The generation field of a stored amk2 record. */
async function generationOf(inner: TamperableStore, key: RecordKey): Promise<string | undefined> {
  return (await inner.memory.get(key))?.value.split('.')[3];
}

/** How the attacker puts a captured ciphertext back once its version is due again. */
const putBack: Array<[string, (inner: TamperableStore, key: RecordKey, captured: string) => Promise<void>]> = [
  ['through the inner store API (delete, then set: version 1 again)', async (inner, key, captured) => {
    await inner.memory.delete(key);
    await inner.memory.set(key, captured);
  }],
  ['in place, with the version counter untouched (raw access)', async (inner, key, captured) => {
    inner.overwriteInPlace(key, captured);
  }],
];

describe.each<DataKeyScope>(['record', 'store'])('replay after delete (%s scope)', (dataKeyScope) => {
  it.each(putBack)('regression: a captured ciphertext replayed after delete + re-create is rejected (put back %s)', async (_, attack) => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { dataKeyScope });
    const key = newKey();
    await store.set(key, 'revoked-refresh-token');
    const captured = (await inner.memory.get(key))!.value;
    await store.delete(key);
    await store.set(key, 'current-refresh-token');
    const before = plain(await store.get(key));
    await attack(inner, key, captured);
    const err = await rejectionOf(store.get(key));
    expect({ before, version: (await inner.get(key))?.version, code: codeOf(err), leaks: String((err as Error).message).includes('refresh-token') })
      .toEqual({ before: { value: 'current-refresh-token', version: 1 }, version: 1, code: 'DECRYPTION_FAILED', leaks: false });
  });

  it('regression: a captured later version replayed once the re-created record reaches that version is rejected', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { dataKeyScope });
    const key = newKey();
    await store.set(key, 'first');
    await store.set(key, 'revoked-at-version-2');
    const captured = (await inner.memory.get(key))!.value;
    await store.delete(key);
    await store.set(key, 'recreated');
    await inner.memory.set(key, captured); // lands as version 2, the version it was sealed for
    expect({ version: (await inner.get(key))?.version, code: codeOf(await rejectionOf(store.get(key))) })
      .toEqual({ version: 2, code: 'DECRYPTION_FAILED' });
  });

  it('regression: a captured ciphertext put back before the record is re-created is rejected', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { dataKeyScope });
    const key = newKey();
    await store.set(key, 'revoked-refresh-token');
    const captured = (await inner.memory.get(key))!.value;
    await store.delete(key);
    await inner.memory.set(key, captured);
    expect(codeOf(await rejectionOf(store.get(key)))).toBe('DECRYPTION_FAILED');
  });

  it('regression: an older version put back after the version counter was reset is rejected', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { dataKeyScope });
    const key = newKey();
    await store.set(key, 'version-1');
    const captured = (await inner.memory.get(key))!.value;
    await store.set(key, 'version-2');
    await store.set(key, 'version-3');
    const before = plain(await store.get(key));
    await inner.memory.delete(key);
    await inner.memory.set(key, captured);
    expect({ before, code: codeOf(await rejectionOf(store.get(key))) })
      .toEqual({ before: { value: 'version-3', version: 3 }, code: 'DECRYPTION_FAILED' });
  });

  it('regression: a store that read the re-created record rejects the replay, though another instance deleted and re-created it', async () => {
    const inner = new TamperableStore();
    const writer = storeOver(inner, { dataKeyScope });
    const reader = storeOver(inner, { dataKeyScope });
    const key = newKey();
    await writer.set(key, 'revoked-refresh-token');
    const captured = (await inner.memory.get(key))!.value;
    const first = plain(await reader.get(key));
    await writer.delete(key);
    await writer.set(key, 'current-refresh-token');
    const second = plain(await reader.get(key));
    inner.overwriteInPlace(key, captured);
    expect({ first, second, replay: codeOf(await rejectionOf(reader.get(key))) }).toEqual({
      first: { value: 'revoked-refresh-token', version: 1 }, second: { value: 'current-refresh-token', version: 1 }, replay: 'DECRYPTION_FAILED',
    });
  });

  it('documented limit: a store instance that never saw the newer lifetime accepts the replay (no trusted state outside the store)', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { dataKeyScope });
    const key = newKey();
    await store.set(key, 'revoked-refresh-token');
    const captured = (await inner.memory.get(key))!.value;
    await store.delete(key);
    await store.set(key, 'current-refresh-token');
    inner.overwriteInPlace(key, captured);
    const freshProcess = storeOver(inner, { dataKeyScope });
    expect({ fresh: plain(await freshProcess.get(key)), sameProcess: codeOf(await rejectionOf(store.get(key))) }).toEqual({
      fresh: { value: 'revoked-refresh-token', version: 1 }, sameProcess: 'DECRYPTION_FAILED',
    });
  });
});

describe('generations', () => {
  it('a new record gets a new 128-bit generation; updates, conditional updates and rotate() keep it', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner);
    const key = newKey();
    await store.set(key, 'a');
    const created = await generationOf(inner, key);
    await store.set(key, 'b');
    await store.set(key, 'c', { ifVersion: 2 });
    const updated = await generationOf(inner, key);
    await store.delete(key);
    await store.set(key, 'd', { ifVersion: null });
    const recreated = await generationOf(inner, key);
    await store.take(key);
    await store.set(key, 'e');
    const afterTake = await generationOf(inner, key);
    const nextKeyId = kms.createKey();
    const rotator = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: nextKeyId, previousKeyIds: [keyId], client }));
    const rotated = await rotator.rotate();
    expect({
      bytes: Buffer.from(created ?? '', 'base64url').length,
      updatesKeep: updated === created,
      distinct: new Set([created, recreated, afterTake]).size,
      rotationKeeps: rotated.reencrypted === 1 && (await generationOf(inner, key)) === afterTake,
      read: plain(await rotator.get(key)),
    }).toEqual({ bytes: 16, updatesKeep: true, distinct: 3, rotationKeeps: true, read: { value: 'e', version: 2 } });
  });

  it('a changed generation in the header fails with DECRYPTION_FAILED (it is authenticated)', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { cache: false, replayDetection: false });
    const key = newKey();
    await store.set(key, 'token');
    const parts = (await inner.memory.get(key))!.value.split('.');
    parts[3] = randomBytes(16).toString('base64url');
    inner.overwriteInPlace(key, parts.join('.'));
    expect(codeOf(await rejectionOf(store.get(key)))).toBe('DECRYPTION_FAILED');
  });

  it('replayDetection: false turns the in-process check off', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { replayDetection: false });
    const key = newKey();
    await store.set(key, 'old');
    const captured = (await inner.memory.get(key))!.value;
    await store.delete(key);
    await store.set(key, 'new');
    inner.overwriteInPlace(key, captured);
    expect(plain(await store.get(key))).toEqual({ value: 'old', version: 1 });
  });

  it('refuses a non-positive replayDetection.maxRecords with CONFIGURATION', () => {
    let err: unknown;
    try {
      storeOver(new TamperableStore(), { replayDetection: { maxRecords: 0 } });
    } catch (e) {
      err = e;
    }
    expect(codeOf(err)).toBe('CONFIGURATION');
  });
});

/** A LocalKeyProvider whose unwraps wait while held (to finish a read after other operations). */
class GatedKeyProvider implements KeyProvider {
  readonly #inner = new LocalKeyProvider({ key: randomBytes(32) });
  #gate: Promise<void> = Promise.resolve();
  #release: () => void = () => undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => { this.#release = resolve; });
  }

  release(): void {
    this.#release();
  }

  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    return this.#inner.generateDataKey(context);
  }

  async decryptDataKey(id: string, wrappedKey: Buffer, context: EncryptionContext): Promise<Buffer> {
    await this.#gate;
    return this.#inner.decryptDataKey(id, wrappedKey, context);
  }
}

describe('overlapping operations', () => {
  it('a read still unwrapping while the record is deleted and re-created does not make the re-created record fail', async () => {
    const keys = new GatedKeyProvider();
    const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys, { cache: false });
    const key = newKey();
    await store.set(key, 'old');
    keys.hold();
    const slowRead = store.get(key); // has read the old record; waits for its data key
    await store.delete(key);
    await store.set(key, 'new');
    keys.release();
    expect({ slow: plain(await slowRead), after: plain(await store.get(key)) })
      .toEqual({ slow: { value: 'old', version: 1 }, after: { value: 'new', version: 1 } });
  });

  it('many concurrent unconditional writers and readers of one record: every read succeeds', async () => {
    const inner = new TamperableStore();
    const store = storeOver(inner, { cache: false });
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      await store.set(key, `value-${i}`);
      return codeOf(await rejectionOf(store.get(key)));
    }));
    expect({ results, final: (await store.get(key))?.version }).toEqual({ results: results.map(() => '<fulfilled>'), final: 12 });
  });
});
