import { describe, expect, it } from '@jest/globals';
import { CredentialRepository } from '../src/CredentialRepository.js';
import { Credentials, MemoryCredentialStore, jsonCredentialCodec, type CredentialCodec, type CredentialStore, type RecordKey, type StoredRecord } from '../src/index.js';

/** The JSON codec, counting decodes. */
function countingCodec(): CredentialCodec & { decodes: number } {
  return { decodes: 0, encode: (c) => jsonCredentialCodec.encode(c), decode(value) { this.decodes++; return jsonCredentialCodec.decode(value); } };
}

/** A memory store whose `get` returns a new object each time, as network stores do. */
class CopyingStore extends MemoryCredentialStore {
  override async get(key: RecordKey): Promise<StoredRecord | undefined> {
    const record = await super.get(key);
    return record === undefined ? undefined : { value: record.value, version: record.version };
  }
}

const creds = (token: string) => new Credentials({ accessToken: token, expiresAt: new Date(Date.now() + 3_600_000) });

describe.each<[string, () => CredentialStore]>([
  ['a store that hands back the records it keeps (memory)', () => new MemoryCredentialStore()],
  ['a store that returns a new record object per read (as Redis and SQL do)', () => new CopyingStore()],
])('CredentialRepository decode cache, %s', (_, makeStore) => {
  it('decodes an unchanged record once however often it is read, and sees a change made by another writer', async () => {
    const store = makeStore();
    const codec = countingCodec();
    const ours = new CredentialRepository(store, codec);
    const other = new CredentialRepository(store, jsonCredentialCodec);
    await other.save('p', 's', creds('first'));
    for (let i = 0; i < 5; i++) expect((await ours.load('p', 's'))?.credentials.accessToken).toBe('first');
    expect(codec.decodes).toBe(1);
    await other.save('p', 's', creds('second')); // another writer: this repository has not seen it
    for (let i = 0; i < 5; i++) expect((await ours.load('p', 's'))?.credentials.accessToken).toBe('second');
    expect(codec.decodes).toBe(2);
    // What this repository wrote itself reads back without a decode.
    await ours.save('p', 's', creds('third'));
    expect((await ours.load('p', 's'))?.credentials.accessToken).toBe('third');
    expect(codec.decodes).toBe(2);
  });
});
