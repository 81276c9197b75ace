// Records written before generations existed (format amk1) must stay readable. These fixtures were
// written by the amk1 code (commit b43e4c5) with the LocalKeyProvider key below, for the record
// { kind: 'credentials', provider: 'notion', subject: 'legacy-subject' }, as versions 1 and 2.
import { describe, expect, it } from '@jest/globals';
import { MemoryCredentialStore, type RecordKey } from '@authmanager/core';
import { createHash, randomBytes } from 'node:crypto';
import { KmsEncryptedCredentialStore, LocalKeyProvider, type DataKeyScope, type KmsEncryptedCredentialStoreOptions } from '../src/index.js';
import { codeOf, plain, rejectionOf } from './helpers.js';

const FIXTURE_KEY = createHash('sha256').update('authmanager store-kms amk1 fixture key').digest();
const RECORD: RecordKey = { kind: 'credentials', provider: 'notion', subject: 'legacy-subject' };
const AMK1: Record<DataKeyScope, readonly [string, string]> = {
  record: [
    'amk1.r.bG9jYWw6NDQwY2E1Zjg3MzgxMjEyNg.Aa4o_zxp6OZjFYP0wagA11lrsfblcNWh1Vm94QjrTf0YPB7iQkOHOaKN9SVolVGgAObzf_5eaUNw3BOcPQ.u34HdpDzi4XlZcgg.9WbZ4-tXXcN1j0yRf-2SIQ.YugYX-uSzM_HnsJboZUx6RyhGlFcMug4VnpYpA',
    'amk1.r.bG9jYWw6NDQwY2E1Zjg3MzgxMjEyNg.AdkkFDOMkLM4DaUO9DUDsmz-mE3ITrWdYNFoO3A4YmuCBSa6Eq5MBWAEejOTqoqcJNVfMJbG23ct0se7SA.akXloGayTkIQ4I90.2PDlxWZ1xy0YP-Q00nuCww.OyL9ht_IIbsxr2m9hx2vBrhzvOhlw7iS3gOwlw',
  ],
  store: [
    'amk1.s.bG9jYWw6NDQwY2E1Zjg3MzgxMjEyNg.ASW55dc5fsevntVojqgLSt3pxk5ek9_L9GWiGts3_p35I9FsUWcoWL19cbRS8hYhRBkXHdguTNkS3j7jxw.lR_TRrplPQMX8h3M.VEtMW3dbb-qYH9LeiHNhYA.7igAwZ5yRx8wWXFmn80DgRELlv4asezkYHNnag',
    'amk1.s.bG9jYWw6NDQwY2E1Zjg3MzgxMjEyNg.ASW55dc5fsevntVojqgLSt3pxk5ek9_L9GWiGts3_p35I9FsUWcoWL19cbRS8hYhRBkXHdguTNkS3j7jxw.l4KUYozfTQuqtvgn.2YkqgX90w2hq2Psq6kWMtQ.3algcIYq0V4Uco3_nTFJqCBBDB2KSjUpq4GUIw',
  ],
};

/** An inner store holding the fixture of `scope` at `version` (1 or 2), and a store over it. */
async function legacyStore(scope: DataKeyScope, version: 1 | 2, options: KmsEncryptedCredentialStoreOptions = {}) {
  const inner = new MemoryCredentialStore();
  for (let v = 1; v <= version; v++) await inner.set(RECORD, AMK1[scope][v - 1]!);
  return { inner, store: new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: FIXTURE_KEY }), options) };
}

describe.each<DataKeyScope>(['record', 'store'])('amk1 records (%s scope)', (scope) => {
  it.each([1, 2] as const)('an amk1 record written before generations still reads (version %i)', async (version) => {
    const { store } = await legacyStore(scope, version);
    expect(plain(await store.get(RECORD))).toEqual({ value: `{"access_token":"legacy-v${version}"}`, version });
  });

  it('is still bound to its version: the version-1 ciphertext at version 2 fails with DECRYPTION_FAILED', async () => {
    const inner = new MemoryCredentialStore();
    await inner.set(RECORD, AMK1[scope][1]!);
    await inner.set(RECORD, AMK1[scope][0]!);
    const store = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: FIXTURE_KEY }));
    expect(codeOf(await rejectionOf(store.get(RECORD)))).toBe('DECRYPTION_FAILED');
  });

  it('an update rewrites it as amk2 with a new generation', async () => {
    const { inner, store } = await legacyStore(scope, 2);
    await store.set(RECORD, 'updated');
    const stored = (await inner.get(RECORD))!.value.split('.');
    expect({ format: stored[0], generationBytes: Buffer.from(stored[3] ?? '', 'base64url').length, read: plain(await store.get(RECORD)) })
      .toEqual({ format: 'amk2', generationBytes: 16, read: { value: 'updated', version: 3 } });
  });

  it('rotate() rewrites it as amk2 even under the current key, and a second run skips it', async () => {
    const { inner, store } = await legacyStore(scope, 1);
    const first = await store.rotate();
    const second = await store.rotate();
    expect({
      first: first.reencrypted, second: [second.reencrypted, second.skipped],
      format: (await inner.get(RECORD))!.value.slice(0, 5), read: plain(await store.get(RECORD)),
    }).toEqual({ first: 1, second: [0, 1], format: 'amk2.', read: { value: '{"access_token":"legacy-v1"}', version: 2 } });
  });

  it('reencryptOnRead rewrites it as amk2', async () => {
    const { inner, store } = await legacyStore(scope, 1, { reencryptOnRead: true });
    const read = plain(await store.get(RECORD));
    expect({ read, format: (await inner.get(RECORD))!.value.slice(0, 5) })
      .toEqual({ read: { value: '{"access_token":"legacy-v1"}', version: 2 }, format: 'amk2.' });
  });

  it('documented limit: amk1 records carry no generation, so one put back after a re-create is accepted unless acceptLegacyRecords is false', async () => {
    const { inner, store } = await legacyStore(scope, 1);
    await store.delete(RECORD);
    await store.set(RECORD, 'current');
    await inner.delete(RECORD);
    await inner.set(RECORD, AMK1[scope][0]!);
    const strict = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: FIXTURE_KEY }), { acceptLegacyRecords: false });
    expect({ accepted: plain(await store.get(RECORD)), strict: codeOf(await rejectionOf(strict.get(RECORD))) })
      .toEqual({ accepted: { value: '{"access_token":"legacy-v1"}', version: 1 }, strict: 'DECRYPTION_FAILED' });
  });
});

describe('amk1 fixtures', () => {
  it('are refused under any other local key (DECRYPTION_FAILED): the fixture key is what opens them', async () => {
    const inner = new MemoryCredentialStore();
    await inner.set(RECORD, AMK1.record[0]);
    const store = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: randomBytes(32) }));
    expect(codeOf(await rejectionOf(store.get(RECORD)))).toBe('DECRYPTION_FAILED');
  });
});
