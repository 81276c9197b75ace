import type { Credentials } from './Credentials.js';
import type { CredentialCodec } from './CredentialCodec.js';
import { recordKeyId, type CredentialStore, type RecordKey, type SetOptions, type StoredRecord } from './CredentialStore.js';
import { DecodedRecord, WRITE_CREDENTIALS, writesCredentials, type CredentialObjectStore } from './DecodedRecord.js';

/** Credentials read from the store with the version they were read at (for compare-and-set). */
export interface LoadedCredentials {
  readonly credentials: Credentials<object>;
  readonly version: number;
}

const DECODED_CACHE_LIMIT = 10_000;
/** Reads per window over which the decode cache's hit rate is judged. */
const ADMISSION_WINDOW = 4096;

interface Decoded {
  readonly record: StoredRecord;
  readonly loaded: LoadedCredentials;
}

/**
 * Reads and writes credentials through a store and a codec. Remembers the last decoded record per
 * key (the last 10,000 keys) so that reading an unchanged record does not decode it again (the
 * record is compared, so a change by any writer, in any process, is always seen); when reads
 * mostly miss it (random reads over far more keys), it admits only one decoded record in sixteen.
 * A store that keeps credentials as objects (the memory store, see {@link DecodedRecord}) is
 * written with them and read back without decoding at all.
 */
export class CredentialRepository {
  readonly store: CredentialStore;
  readonly codec: CredentialCodec;
  readonly #decoded = new Map<string, Decoded>();
  readonly #objectStore: CredentialObjectStore | undefined;
  /** Decode-cache lookups and hits in the current window, and how many decoded records make one cached (1 = all). */
  #reads = 0;
  #hits = 0;
  #admitEvery = 1;

  readonly #dueAt: ((provider: string, credentials: Credentials<object>) => number | undefined) | undefined;

  /**
   * @param dueAt - when a written credential is due for a proactive refresh (epoch milliseconds),
   *   passed to stores with an expiry index as `SetOptions.dueAtMs`
   */
  constructor(store: CredentialStore, codec: CredentialCodec, dueAt?: (provider: string, credentials: Credentials<object>) => number | undefined) {
    this.store = store;
    this.codec = codec;
    this.#dueAt = store.listDue ? dueAt : undefined;
    this.#objectStore = writesCredentials(store) ? store : undefined;
  }

  /** The store key of (provider, subject)'s credentials. */
  key(provider: string, subject: string): RecordKey {
    return { kind: 'credentials', provider, subject };
  }

  /**
   * @throws AuthManagerError `INVALID_STORED_CREDENTIALS` | `STORE_UNAVAILABLE` | `DECRYPTION_FAILED`
   */
  load(provider: string, subject: string): Promise<LoadedCredentials | undefined> {
    // A plain reaction rather than an async function: one promise less on every session's first read.
    const key = this.key(provider, subject);
    return this.store.get(key).then((record) => (record === undefined ? undefined : record instanceof DecodedRecord ? record : this.#decode(key, record)));
  }

  #decode(key: RecordKey, record: StoredRecord): LoadedCredentials {
    const id = recordKeyId(key);
    const hit = this.#decoded.get(id);
    const reads = ++this.#reads;
    if (hit !== undefined && (hit.record === record || (hit.record.version === record.version && hit.record.value === record.value))) {
      this.#hits++;
      return hit.loaded;
    }
    const credentials = this.codec.decode(record.value);
    if (reads >= ADMISSION_WINDOW) {
      // Over the last window, did the cache answer at least one read in eight? Random reads over
      // a keyspace far larger than the cache (a million subjects) hit ~1%: then only one decoded
      // record in sixteen is cached, instead of every one evicting another (each costs the garbage
      // collector: the entry outlives the young generation, then dies in the old one).
      this.#admitEvery = this.#hits * 8 >= reads ? 1 : 16;
      this.#reads = 0;
      this.#hits = 0;
    }
    if (this.#decoded.size < DECODED_CACHE_LIMIT || reads % this.#admitEvery === 0) this.#remember(id, record, credentials);
    return { credentials, version: record.version };
  }

  /**
   * Writes credentials; `ifVersion` as in `CredentialStore.set`.
   * @returns the new version
   * @throws AuthManagerError `STORE_CONFLICT` | `STORE_UNAVAILABLE`
   */
  async save(provider: string, subject: string, credentials: Credentials<object>, ifVersion?: number | null): Promise<number> {
    const key = this.key(provider, subject);
    const options: SetOptions = this.#dueAt === undefined
      ? (ifVersion === undefined ? {} : { ifVersion })
      : { ...(ifVersion === undefined ? {} : { ifVersion }), dueAtMs: this.#dueAt(provider, credentials) ?? null };
    if (this.#objectStore !== undefined) {
      const written = await this.#objectStore[WRITE_CREDENTIALS](key, credentials, this.codec, options);
      if (written instanceof DecodedRecord) this.#decoded.delete(recordKeyId(key));
      else this.#remember(recordKeyId(key), written, credentials);
      return written.version;
    }
    const record = await this.store.set(key, this.codec.encode(credentials), options);
    this.#remember(recordKeyId(key), record, credentials);
    return record.version;
  }

  /** @returns whether a record existed */
  async delete(provider: string, subject: string): Promise<boolean> {
    const key = this.key(provider, subject);
    this.#decoded.delete(recordKeyId(key));
    return this.store.delete(key);
  }

  #remember(id: string, record: StoredRecord, credentials: Credentials<object>): Decoded {
    const entry = { record, loaded: { credentials, version: record.version } };
    if (this.#decoded.size >= DECODED_CACHE_LIMIT && !this.#decoded.has(id)) {
      const oldest = this.#decoded.keys().next().value;
      if (oldest !== undefined) this.#decoded.delete(oldest);
    }
    this.#decoded.set(id, entry);
    return entry;
  }
}
