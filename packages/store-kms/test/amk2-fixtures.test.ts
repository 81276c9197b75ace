// amk2 records written before the AAD was assembled from pre-encoded parts (store-kms as of commit ea9a0cb) must
// stay readable: these fixtures were written by that code with the LocalKeyProvider key below, for a
// record whose provider and subject need JSON escapes and multi-byte UTF-8 in the AAD, as versions 1
// and 2 of one generation.
import { describe, expect, it } from '@jest/globals';
import { MemoryCredentialStore, type RecordKey } from '@authmanager/core';
import { createHash } from 'node:crypto';
import { KmsEncryptedCredentialStore, LocalKeyProvider, type DataKeyScope } from '../src/index.js';
import { codeOf, plain, rejectionOf } from './helpers.js';

const FIXTURE_KEY = createHash('sha256').update('authmanager store-kms amk2 fixture key').digest();
const RECORD: RecordKey = { kind: 'credentials', provider: 'notion#work "quoted"', subject: 'sübject\\ 🔑' };
const AMK2: Record<DataKeyScope, readonly [string, string]> = {
  record: [
    'amk2.r.bG9jYWw6ZWE2ZmUzN2ZjYWMxZjRmOA.3Y3GVp_8kmR3h4t_psQzNg.ATJXxT77Ppp5d5Og1Nw1qH3ZAQDoKC2g8xyV-9wEHQmmaJW1EvksCyXvZIZUXKfWWutQUhwIaZ7OuJMBpw.PJz6LDoxG_wx5V5Z.YseDEiVZk0ysCrisCdYj3g.V9lPHnMDZu2MpWpV37TABXQn-Xy2J2m_Rc8',
    'amk2.r.bG9jYWw6ZWE2ZmUzN2ZjYWMxZjRmOA.3Y3GVp_8kmR3h4t_psQzNg.AcoDFGtRN7YkGpz9IxU34DNudp_ksLJQp2osHgRfH7dLutjFhBDUp8dFGD_TLHpKWpDiqtNg4KPg5SuxPg.LNrg3kC77mEu0EzF.1SkJxTSX2E6oe7Yb0fibvg.PIY3RtX7Ofzt4ybWSnKoFjliW583hSM4MVk',
  ],
  store: [
    'amk2.s.bG9jYWw6ZWE2ZmUzN2ZjYWMxZjRmOA.5Ke0heK4nqHMuLIhagxW5A.Aa6vKbQqeAzdXC7M4nGM2U3Gnc7kfcjOwdtgQShckgbuDrJPNo56b1XxOBF3eoyZmjwJN1EuJnJkc0vETQ.K3p7JlM33mvZWk1g.kb-uRALoS8gdXARv2ITrgg.9wDRIAmzFmIsu9jz1rDSkEbbq-3K-zVfR_s',
    'amk2.s.bG9jYWw6ZWE2ZmUzN2ZjYWMxZjRmOA.5Ke0heK4nqHMuLIhagxW5A.Aa6vKbQqeAzdXC7M4nGM2U3Gnc7kfcjOwdtgQShckgbuDrJPNo56b1XxOBF3eoyZmjwJN1EuJnJkc0vETQ.MJmr5dnumlr7YUks.WaSKQx_pwV5uTpOx3qE-gg.OMYs3m-hMRiUNbNavhG_DseTxoxyB14NVmA',
  ],
};

/** A store over an inner store holding `values` as versions 1, 2, … of the fixture record. */
async function fixtureStore(values: readonly string[]): Promise<KmsEncryptedCredentialStore> {
  const inner = new MemoryCredentialStore();
  for (const value of values) await inner.set(RECORD, value);
  return new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: FIXTURE_KEY }));
}

describe.each<DataKeyScope>(['record', 'store'])('amk2 records written by earlier versions (%s scope)', (scope) => {
  it.each([1, 2] as const)('still read (version %i)', async (version) => {
    const store = await fixtureStore(AMK2[scope].slice(0, version));
    expect(plain(await store.get(RECORD))).toEqual({ value: `{"access_token":"amk2-v${version}"}`, version });
  });

  it('are still bound to their version: the version-1 ciphertext at version 2 fails with DECRYPTION_FAILED', async () => {
    const store = await fixtureStore([AMK2[scope][1], AMK2[scope][0]]);
    expect(codeOf(await rejectionOf(store.get(RECORD)))).toBe('DECRYPTION_FAILED');
  });

  it('are still bound to their record: under another subject they fail with DECRYPTION_FAILED', async () => {
    const inner = new MemoryCredentialStore();
    const other: RecordKey = { ...RECORD, subject: 'sübject\\ 🔒' };
    await inner.set(other, AMK2[scope][0]);
    const store = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: FIXTURE_KEY }));
    expect(codeOf(await rejectionOf(store.get(other)))).toBe('DECRYPTION_FAILED');
  });
});
