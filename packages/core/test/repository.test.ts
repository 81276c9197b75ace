import { describe, expect, it } from '@jest/globals';
import { CredentialRepository } from '../src/CredentialRepository.js';
import { Credentials, MemoryCredentialStore, jsonCredentialCodec, type CredentialCodec, type CredentialStore, type ListFilter, type RecordKey, type SetOptions, type StoredRecord } from '../src/index.js';

/** The JSON codec, counting decodes. */
function countingCodec(): CredentialCodec & { decodes: number } {
  return { decodes: 0, encode: (c) => jsonCredentialCodec.encode(c), decode(value) { this.decodes++; return jsonCredentialCodec.decode(value); } };
}

/** A store of encoded records whose `get` returns a new object each time, as Redis and SQL do. */
class CopyingStore implements CredentialStore {
  readonly #inner = new MemoryCredentialStore();
  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    const record = await this.#inner.get(key);
    return record === undefined ? undefined : { value: record.value, version: record.version };
  }
  set(key: RecordKey, value: string, options?: SetOptions): Promise<StoredRecord> { return this.#inner.set(key, value, options); }
  delete(key: RecordKey): Promise<boolean> { return this.#inner.delete(key); }
  take(key: RecordKey): Promise<StoredRecord | undefined> { return this.#inner.take(key); }
  list(filter: ListFilter): AsyncIterable<RecordKey> { return this.#inner.list(filter); }
}

const creds = (token: string) => new Credentials({ accessToken: token, expiresAt: new Date(Date.now() + 3_600_000) });

describe('CredentialRepository on the memory store', () => {
  it('keeps what it writes as objects: read back without decoding, one copy of each token, the encoded value for other readers', async () => {
    const store = new MemoryCredentialStore();
    const codec = countingCodec();
    const repository = new CredentialRepository(store, codec);
    const written = creds('kept-token');
    await repository.save('p', 's', written);
    expect((await repository.load('p', 's'))?.credentials).toBe(written);
    expect(codec.decodes).toBe(0);
    // A reader of the raw store gets the record encoded by the writer's codec.
    const raw = await store.get({ kind: 'credentials', provider: 'p', subject: 's' });
    expect(raw?.version).toBe(1);
    expect(jsonCredentialCodec.decode(raw!.value).accessToken).toBe('kept-token');
  });

  it('a subclass that overrides set still sees every write (as an encoded string)', async () => {
    const seen: string[] = [];
    class Watching extends MemoryCredentialStore {
      override set(key: RecordKey, value: string, options?: SetOptions): Promise<StoredRecord> { seen.push(value); return super.set(key, value, options); }
    }
    const repository = new CredentialRepository(new Watching(), jsonCredentialCodec);
    await repository.save('p', 's', creds('watched'));
    expect(seen.map((v) => jsonCredentialCodec.decode(v).accessToken)).toEqual(['watched']);
    expect((await repository.load('p', 's'))?.credentials.accessToken).toBe('watched');
  });
});

describe.each<[string, () => CredentialStore, readonly [number, number]]>([
  // Written as objects by either repository: nothing to decode.
  ['the memory store', () => new MemoryCredentialStore(), [0, 0]],
  ['a store that returns a new record object per read (as Redis and SQL do)', () => new CopyingStore(), [1, 2]],
])('CredentialRepository reads, %s', (_, makeStore, [afterFirst, afterSecond]) => {
  it('decodes an unchanged record at most once however often it is read, and sees a change made by another writer', async () => {
    const store = makeStore();
    const codec = countingCodec();
    const ours = new CredentialRepository(store, codec);
    const other = new CredentialRepository(store, jsonCredentialCodec);
    await other.save('p', 's', creds('first'));
    for (let i = 0; i < 5; i++) expect((await ours.load('p', 's'))?.credentials.accessToken).toBe('first');
    expect(codec.decodes).toBe(afterFirst);
    await other.save('p', 's', creds('second')); // another writer: this repository has not seen it
    for (let i = 0; i < 5; i++) expect((await ours.load('p', 's'))?.credentials.accessToken).toBe('second');
    expect(codec.decodes).toBe(afterSecond);
    // What this repository wrote itself reads back without a decode.
    await ours.save('p', 's', creds('third'));
    expect((await ours.load('p', 's'))?.credentials.accessToken).toBe('third');
    expect(codec.decodes).toBe(afterSecond);
  });
});

describe('CredentialRepository decode cache under random reads over many keys', () => {
  it('after a run of misses it caches only some decoded records, and a key read again and again is still cached soon', async () => {
    const store = new CopyingStore();
    const writer = new CredentialRepository(store, jsonCredentialCodec);
    const KEYS = 12_000;
    for (let i = 0; i < KEYS; i++) await writer.save('p', `s${i}`, creds(`t${i}`));
    const codec = countingCodec();
    const reader = new CredentialRepository(store, codec);
    // Two passes over more keys than the cache holds: the first misses throughout; in the second,
    // the records cached in the first are no longer all evicted by the ones read before them.
    for (let i = 0; i < KEYS; i++) await reader.load('p', `s${i}`);
    expect(codec.decodes).toBe(KEYS);
    for (let i = 0; i < KEYS; i++) await reader.load('p', `s${i}`);
    expect(codec.decodes).toBeLessThan(2 * KEYS - 8_000);
    const before = codec.decodes;
    for (let i = 0; i < 100; i++) expect((await reader.load('p', 'hot'))).toBeUndefined();
    await writer.save('p', 'hot', creds('hot-token'));
    for (let i = 0; i < 100; i++) expect((await reader.load('p', 'hot'))?.credentials.accessToken).toBe('hot-token');
    // Cached within a few reads (one miss in sixteen is cached), not decoded on each of the 100.
    expect(codec.decodes - before).toBeGreaterThanOrEqual(1);
    expect(codec.decodes - before).toBeLessThanOrEqual(16);
  }, 60_000);
});
