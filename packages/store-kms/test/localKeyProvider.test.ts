import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { envFrom, MemoryCredentialStore } from '@authmanager/core';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KmsEncryptedCredentialStore, LocalKeyProvider } from '../src/index.js';
import { codeOf, newKey, plain, rejectionOf } from './helpers.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authmanager-local-key-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalKeyProvider', () => {
  it('from AUTHMANAGER_LOCAL_KEY (base64) encrypts and decrypts through the store', async () => {
    const key = LocalKeyProvider.generateKey();
    const provider = LocalKeyProvider.fromEnv({ env: envFrom({ AUTHMANAGER_LOCAL_KEY: key }) });
    const inner = new MemoryCredentialStore();
    const store = new KmsEncryptedCredentialStore(inner, provider);
    const record = newKey();
    await store.set(record, 'secret-value');
    const reopened = new KmsEncryptedCredentialStore(inner, LocalKeyProvider.fromEnv({ env: envFrom({ AUTHMANAGER_LOCAL_KEY: key }) }));
    expect({
      read: plain(await reopened.get(record)),
      stored: (await inner.get(record))?.value.startsWith('amk2.s.'),
      keyId: /^local:[0-9a-f]{16}$/.test(provider.keyId),
    }).toEqual({ read: { value: 'secret-value', version: 1 }, stored: true, keyId: true });
  });

  it('reads a key file holding 32 raw bytes or their base64, to the same key id', async () => {
    const key = randomBytes(32);
    await writeFile(join(dir, 'raw.key'), key);
    await writeFile(join(dir, 'b64.key'), `${key.toString('base64')}\n`);
    const ids = [
      LocalKeyProvider.fromFile(join(dir, 'raw.key')).keyId,
      LocalKeyProvider.fromFile(join(dir, 'b64.key')).keyId,
      new LocalKeyProvider({ key }).keyId,
    ];
    expect(new Set(ids).size).toBe(1);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['unset', {}, /AUTHMANAGER_LOCAL_KEY is not set/],
    ['16 bytes', { AUTHMANAGER_LOCAL_KEY: randomBytes(16).toString('base64') }, /AUTHMANAGER_LOCAL_KEY must be base64 of 32 bytes/],
    ['not base64', { AUTHMANAGER_LOCAL_KEY: 'not a key!' }, /AUTHMANAGER_LOCAL_KEY must be base64 of 32 bytes/],
  ])('refuses a key that is %s with CONFIGURATION, without echoing it', (_, env, message) => {
    let err: unknown;
    try {
      LocalKeyProvider.fromEnv({ env: envFrom(env) });
    } catch (e) {
      err = e;
    }
    const value = env['AUTHMANAGER_LOCAL_KEY'];
    expect({
      code: codeOf(err), message: message.test(String((err as Error).message)),
      echoes: value !== undefined && String((err as Error).message).includes(value),
    }).toEqual({ code: 'CONFIGURATION', message: true, echoes: false });
  });

  it('refuses a missing key file with CONFIGURATION', () => {
    expect(codeOf(rejectionSync(() => LocalKeyProvider.fromFile(join(dir, 'absent.key'))))).toBe('CONFIGURATION');
  });

  it('unwraps only with the same encryption context (DECRYPTION_FAILED otherwise)', async () => {
    const provider = new LocalKeyProvider({ key: randomBytes(32) });
    const dataKey = await provider.generateDataKey({ tenant: 'a', purpose: 'x' });
    const same = await provider.decryptDataKey(dataKey.keyId, dataKey.wrappedKey, { purpose: 'x', tenant: 'a' });
    const other = await rejectionOf(provider.decryptDataKey(dataKey.keyId, dataKey.wrappedKey, { tenant: 'b', purpose: 'x' }));
    expect({ same: same.equals(dataKey.plaintextKey), length: same.length, other: codeOf(other) })
      .toEqual({ same: true, length: 32, other: 'DECRYPTION_FAILED' });
  });

  it('regression: a record naming a local key that is not configured is rejected with DECRYPTION_FAILED (read once listed in previousKeys)', async () => {
    const oldKey = randomBytes(32);
    const inner = new MemoryCredentialStore();
    const record = newKey();
    await new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: oldKey })).set(record, 'value');
    const newKeyOnly = new LocalKeyProvider({ key: randomBytes(32) });
    const withPrevious = LocalKeyProvider.fromEnv({
      env: envFrom({ AUTHMANAGER_LOCAL_KEY: LocalKeyProvider.generateKey(), AUTHMANAGER_LOCAL_KEY_PREVIOUS: ` ${oldKey.toString('base64')} ,` }),
    });
    const err = await rejectionOf(new KmsEncryptedCredentialStore(inner, newKeyOnly).get(record));
    expect({
      code: codeOf(err),
      // The store's error says which record; its cause, the provider's, names the key it does not accept.
      names: String((err as { cause?: Error }).cause?.message).includes(new LocalKeyProvider({ key: oldKey }).keyId),
      read: plain(await new KmsEncryptedCredentialStore(inner, withPrevious).get(record)),
    }).toEqual({ code: 'DECRYPTION_FAILED', names: true, read: { value: 'value', version: 1 } });
  });
});

function rejectionSync(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return '<returned>';
}
