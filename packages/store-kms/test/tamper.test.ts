import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { RecordKey } from '@authmanager/core';
import { startKmsServer, type KmsServer } from '@authmanager/testing';
import { AwsKmsKeyProvider, KmsEncryptedCredentialStore, type DataKeyScope } from '../src/index.js';
import { codeOf, kmsClient, newKey, plain, rejectionOf, TamperableStore } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
let keyId: string;

beforeAll(async () => {
  kms = await startKmsServer();
  keyId = kms.createKey();
  client = kmsClient(kms);
});

afterAll(async () => {
  client.destroy();
  await kms.stop();
});

/** Indexes of the `amk2.<scope>.<keyId>.<generation>.<wrappedKey>.<iv>.<tag>.<ciphertext>` fields. */
const FIELD = { keyId: 2, generation: 3, wrappedKey: 4, iv: 5, tag: 6, ciphertext: 7 } as const;

/** Flips the lowest bit of one byte (the middle one) of a base64url field, keeping the encoding valid. */
function flipByte(stored: string, field: keyof typeof FIELD): string {
  const parts = stored.split('.');
  const bytes = Buffer.from(parts[FIELD[field]] ?? '', 'base64url');
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  parts[FIELD[field]] = bytes.toString('base64url');
  return parts.join('.');
}

describe.each<DataKeyScope>(['record', 'store'])('tampering with stored records (%s-scope data keys)', (dataKeyScope) => {
  function setup(): { inner: TamperableStore; store: KmsEncryptedCredentialStore } {
    const inner = new TamperableStore();
    // No cache: every read asks KMS, so a cached key cannot mask what KMS would say.
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }), { dataKeyScope, cache: false });
    return { inner, store };
  }

  it.each(['ciphertext', 'tag', 'iv', 'wrappedKey', 'generation'] as const)('a flipped byte in the %s fails with DECRYPTION_FAILED', async (field) => {
    const { inner, store } = setup();
    const key = newKey();
    await store.set(key, 'refresh-token-secret');
    const before = plain(await store.get(key));
    const stored = (await inner.memory.get(key))!;
    inner.overwriteInPlace(key, flipByte(stored.value, field));
    const err = await rejectionOf(store.get(key));
    expect({ before, code: codeOf(err), leaks: String((err as Error).message).includes('refresh-token-secret') }).toEqual({
      before: { value: 'refresh-token-secret', version: 1 }, code: 'DECRYPTION_FAILED', leaks: false,
    });
  });

  it('a single changed character anywhere after the header fails with DECRYPTION_FAILED, never returns altered data', async () => {
    const { inner, store } = setup();
    const key = newKey();
    await store.set(key, 'value-to-protect');
    const stored = (await inner.memory.get(key))!.value;
    const start = stored.indexOf('.', stored.indexOf('.', stored.indexOf('.') + 1) + 1) + 1; // first char of the generation
    const outcomes = new Set<string>();
    for (let i = start; i < stored.length; i += 7) {
      if (stored[i] === '.') continue;
      inner.overwriteInPlace(key, `${stored.slice(0, i)}${stored[i] === 'A' ? 'B' : 'A'}${stored.slice(i + 1)}`);
      outcomes.add(codeOf(await rejectionOf(store.get(key))));
    }
    expect([...outcomes]).toEqual(['DECRYPTION_FAILED']);
  });

  it.each<[string, (key: RecordKey) => RecordKey]>([
    ['another subject', (key) => ({ ...key, subject: `${key.subject}-victim` })],
    ['another provider', (key) => ({ ...key, provider: `${key.provider}-other` })],
    ['the other kind', (key) => ({ ...key, kind: 'pending' })],
  ])('a record copied to %s (same version) fails with DECRYPTION_FAILED', async (_, target) => {
    const { inner, store } = setup();
    const key = newKey();
    const copy = target(key);
    await store.set(key, 'alice-token');
    await store.set(copy, 'victim-token');
    inner.overwriteInPlace(copy, (await inner.memory.get(key))!.value);
    const err = await rejectionOf(store.get(copy));
    expect({ source: plain(await store.get(key)), copyVersion: (await inner.get(copy))?.version, code: codeOf(err) }).toEqual({
      source: { value: 'alice-token', version: 1 }, copyVersion: 1, code: 'DECRYPTION_FAILED',
    });
  });

  it('a record copied to another subject through the store API fails with DECRYPTION_FAILED', async () => {
    const { inner, store } = setup();
    const key = newKey();
    const other = { ...key, subject: `${key.subject}-other` };
    await store.set(key, 'alice-token');
    await inner.set(other, (await inner.get(key))!.value);
    expect(codeOf(await rejectionOf(store.get(other)))).toBe('DECRYPTION_FAILED');
  });

  it('an older version\'s ciphertext put back in place of the current one fails with DECRYPTION_FAILED', async () => {
    const { inner, store } = setup();
    const key = newKey();
    await store.set(key, 'revoked-refresh-token');
    const old = (await inner.get(key))!.value;
    await store.set(key, 'current-refresh-token');
    const current = plain(await store.get(key));
    inner.overwriteInPlace(key, old);
    const err = await rejectionOf(store.get(key));
    expect({ current, code: codeOf(err) }).toEqual({
      current: { value: 'current-refresh-token', version: 2 }, code: 'DECRYPTION_FAILED',
    });
  });

  it('an older version\'s ciphertext written back through the store API fails with DECRYPTION_FAILED', async () => {
    const { inner, store } = setup();
    const key = newKey();
    await store.set(key, 'revoked-refresh-token');
    const old = (await inner.get(key))!.value;
    await store.set(key, 'current-refresh-token');
    await inner.set(key, old);
    expect(codeOf(await rejectionOf(store.get(key)))).toBe('DECRYPTION_FAILED');
  });

  it('a plaintext value planted in the inner store is refused with DECRYPTION_FAILED, also by take', async () => {
    const { inner, store } = setup();
    const key = newKey('pending');
    await inner.set(key, '{"access_token":"planted"}');
    const got = codeOf(await rejectionOf(store.get(key)));
    const taken = codeOf(await rejectionOf(store.take(key)));
    expect({ got, taken, stillThere: plain(await inner.get(key)) }).toEqual({
      got: 'DECRYPTION_FAILED', taken: 'DECRYPTION_FAILED', stillThere: { value: '{"access_token":"planted"}', version: 1 },
    });
  });

  it('leaves a tampered record in the inner store as it was', async () => {
    const { inner, store } = setup();
    const key = newKey();
    await store.set(key, 'value');
    const tampered = flipByte((await inner.memory.get(key))!.value, 'ciphertext');
    inner.overwriteInPlace(key, tampered);
    await rejectionOf(store.get(key));
    await rejectionOf(store.take(key));
    expect(plain(await inner.get(key))).toEqual({ value: tampered, version: 1 });
  });
});

describe('stored form', () => {
  it('holds no plaintext and names format, scope, key and a 128-bit generation in a header', async () => {
    const inner = new TamperableStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId, client }));
    const key = newKey();
    await store.set(key, 'gho_plaintext_token_value');
    const stored = (await inner.get(key))!.value;
    const [format, scope, keyIdField, generation, ...rest] = stored.split('.');
    expect({
      format, scope, keyId: Buffer.from(keyIdField ?? '', 'base64url').toString('utf8'),
      generationBytes: Buffer.from(generation ?? '', 'base64url').length, fields: rest.length,
      leaks: stored.includes('gho_plaintext_token_value') || stored.includes(Buffer.from('gho_plaintext_token_value').toString('base64url')),
    }).toEqual({ format: 'amk2', scope: 's', keyId: kms.keyArn(keyId), generationBytes: 16, fields: 4, leaks: false });
  });
});
