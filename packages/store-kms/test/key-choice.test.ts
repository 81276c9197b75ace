// A record's header names the key that wrapped its data key. Whoever can write the store writes
// that header, so it must never decide which KMS key unwraps the record.
import { describe, expect, it } from '@jest/globals';
import type { KMSClient } from '@aws-sdk/client-kms';
import { MemoryCredentialStore } from '@authmanager/core';
import type { KmsServer } from '@authmanager/testing';
import { randomBytes } from 'node:crypto';
import { AwsKmsKeyProvider, KmsEncryptedCredentialStore, type DataKeyScope } from '../src/index.js';
import { causeChain, codeOf, newKey, plain, rejectionOf, TamperableStore, useKmsServer, withField } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;
useKmsServer((server, kmsClientForServer) => { kms = server; client = kmsClientForServer; });

/**
 * A record for `key` sealed by a forger under `otherKey`: the KMS test server, like an IAM policy
 * granting `kms:GenerateDataKey` and `kms:Decrypt` on `key/*`, lets the same principal use any key.
 */
async function forgedUnder(otherKey: string, dataKeyScope: DataKeyScope) {
  const inner = new MemoryCredentialStore();
  const forger = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: otherKey, client }), { dataKeyScope });
  const key = newKey();
  await forger.set(key, '{"access_token":"forged"}');
  return { inner, key };
}

describe.each<DataKeyScope>(['record', 'store'])('a record naming another KMS key (%s scope)', (dataKeyScope) => {
  it.each<[string, (id: string) => string]>([
    ['key id', (id) => id],
    ['key ARN', (id) => kms.keyArn(id)],
  ])('regression: KMS record naming another key id is rejected before any KMS call (configured by %s)', async (_, form) => {
    const configured = kms.createKey();
    const other = kms.createKey();
    const { inner, key } = await forgedUnder(other, dataKeyScope);
    const victim = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: form(configured), client }), { cache: false });
    const decryptsBefore = kms.requestCount('Decrypt');
    const err = await rejectionOf(victim.get(key));
    const decryptCalls = kms.requestCount('Decrypt') - decryptsBefore;
    // The forged record is genuine under the other key: only the key check refuses it.
    const underOther = plain(await new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: other, client })).get(key));
    expect({ code: codeOf(err), decryptCalls, leaks: String((err as Error).message).includes('forged'), underOther }).toEqual({
      code: 'DECRYPTION_FAILED', decryptCalls: 0, leaks: false, underOther: { value: '{"access_token":"forged"}', version: 1 },
    });
  });

  it('regression: with an alias as keyId, a record under another key is refused by KMS, because Decrypt names the alias', async () => {
    const alias = `alias/victim-${randomBytes(4).toString('hex')}`;
    kms.createKey({ alias });
    const { inner, key } = await forgedUnder(kms.createKey(), dataKeyScope);
    const victim = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, client }), { cache: false });
    const err = await rejectionOf(victim.get(key));
    expect({ code: codeOf(err), chain: causeChain(err) }).toEqual({
      code: 'DECRYPTION_FAILED',
      chain: ['AuthManagerError:DECRYPTION_FAILED', 'AuthManagerError:DECRYPTION_FAILED', 'IncorrectKeyException'],
    });
  });
});

describe('the key a record names', () => {
  it('a header naming the configured key over a data key wrapped under another is refused by KMS (KeyId is sent)', async () => {
    const configured = kms.createKey();
    const other = kms.createKey();
    const inner = new TamperableStore();
    const key = newKey();
    await new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: other, client })).set(key, 'forged');
    const stored = (await inner.get(key))!.value;
    inner.overwriteInPlace(key, withField(stored, 2, Buffer.from(kms.keyArn(configured)).toString('base64url')));
    const victim = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: configured, client }), { cache: false });
    const err = await rejectionOf(victim.get(key));
    expect({ code: codeOf(err), last: causeChain(err).at(-1) }).toEqual({ code: 'DECRYPTION_FAILED', last: 'IncorrectKeyException' });
  });

  it('a header naming something other than a key ARN is refused before any KMS call, even with an alias configured', async () => {
    const alias = `alias/arn-only-${randomBytes(4).toString('hex')}`;
    const target = kms.createKey({ alias });
    const inner = new TamperableStore();
    const store = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, client }), { cache: false });
    const key = newKey();
    await store.set(key, 'token');
    const stored = (await inner.get(key))!.value;
    inner.overwriteInPlace(key, withField(stored, 2, Buffer.from(target).toString('base64url'))); // bare key id, not the ARN
    const decryptsBefore = kms.requestCount('Decrypt');
    const code = codeOf(await rejectionOf(store.get(key)));
    expect({ code, decryptCalls: kms.requestCount('Decrypt') - decryptsBefore }).toEqual({ code: 'DECRYPTION_FAILED', decryptCalls: 0 });
  });

  it('refuses an alias in previousKeyIds with CONFIGURATION', () => {
    const codes = ['alias/old', 'arn:aws:kms:us-east-1:111122223333:alias/old', ''].map((id) => {
      try {
        new AwsKmsKeyProvider({ keyId: 'alias/current', previousKeyIds: [id], client });
        return '<constructed>';
      } catch (err) {
        return codeOf(err);
      }
    });
    expect(codes).toEqual(['CONFIGURATION', 'CONFIGURATION', 'CONFIGURATION']);
  });
});

describe('rotation needs the old key listed', () => {
  it.each<[string, (id: string) => string]>([
    ['key id', (id) => id],
    ['key ARN', (id) => kms.keyArn(id)],
  ])('regression: a record under a previous key decrypts while it is in previousKeyIds (as %s), and fails with DECRYPTION_FAILED without a KMS call when not', async (_, form) => {
    const oldKey = kms.createKey();
    const newKeyId = kms.createKey();
    const inner = new MemoryCredentialStore();
    const key = newKey();
    await new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: oldKey, client })).set(key, 'token');
    const listed = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: newKeyId, previousKeyIds: [form(oldKey)], client }));
    const unlisted = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: newKeyId, client }));
    const read = plain(await listed.get(key));
    const decryptsBefore = kms.requestCount('Decrypt');
    const refused = codeOf(await rejectionOf(unlisted.get(key)));
    expect({ read, refused, decryptCalls: kms.requestCount('Decrypt') - decryptsBefore })
      .toEqual({ read: { value: 'token', version: 1 }, refused: 'DECRYPTION_FAILED', decryptCalls: 0 });
  });

  it('regression: after an alias moves, rotate() moves records off the old key only if it is in previousKeyIds', async () => {
    const alias = `alias/moved-${randomBytes(4).toString('hex')}`;
    const oldKey = kms.createKey({ alias });
    const inner = new MemoryCredentialStore();
    const keys = [newKey(), newKey()];
    const writer = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, client }));
    for (const key of keys) await writer.set(key, `token-${key.subject}`);
    const newKeyId = kms.createKey();
    kms.setAlias(alias, newKeyId);
    const unlisted = await new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, client })).rotate();
    const listed = new KmsEncryptedCredentialStore(inner, new AwsKmsKeyProvider({ keyId: alias, previousKeyIds: [oldKey], client }));
    const rotated = await listed.rotate();
    const reads = await Promise.all(keys.map(async (key) => plain(await listed.get(key))));
    expect({
      unlisted: { failed: unlisted.failed, reencrypted: unlisted.reencrypted },
      rotated: { failed: rotated.failed, reencrypted: rotated.reencrypted },
      reads,
    }).toEqual({
      unlisted: { failed: 2, reencrypted: 0 },
      rotated: { failed: 0, reencrypted: 2 },
      reads: keys.map((key) => ({ value: `token-${key.subject}`, version: 2 })),
    });
  });
});
