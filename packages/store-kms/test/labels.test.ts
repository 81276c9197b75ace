// A labelled connection's record is bound to its label: moved to another connection, it does not open.
import { describe, expect, it } from '@jest/globals';
import { AuthManager, Credentials, MemoryCredentialStore } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';
import { KmsEncryptedCredentialStore, LocalKeyProvider } from '../src/index.js';
import { randomBytes } from 'node:crypto';

describe('connection labels under envelope encryption', () => {
  it("a 'work' record copied over the default connection is DECRYPTION_FAILED", async () => {
    const inner = new MemoryCredentialStore();
    const store = new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key: randomBytes(32) }));
    const auth = new AuthManager({ providers: [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })], store });
    await auth.storeCredentials('sandbox', 'u', new Credentials({ accessToken: 'personal' }));
    await auth.storeCredentials('sandbox', 'u', new Credentials({ accessToken: 'work' }), { connection: 'work' });
    const workRecord = await inner.get({ kind: 'credentials', provider: 'sandbox#work', subject: 'u' });
    await inner.set({ kind: 'credentials', provider: 'sandbox', subject: 'u' }, workRecord!.value);
    await expect(new AuthManager({ providers: [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })], store }).loadCredentials('sandbox', 'u'))
      .rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    expect((await auth.loadCredentials('sandbox', 'u', { connection: 'work' }))?.accessToken).toBe('work');
  });
});
