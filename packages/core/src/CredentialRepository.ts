import type { Credentials } from './Credentials.js';
import type { CredentialCodec } from './CredentialCodec.js';
import { recordKeyId, type CredentialStore, type RecordKey, type SetOptions, type StoredRecord } from './CredentialStore.js';

/** Credentials read from the store with the version they were read at (for compare-and-set). */
export interface LoadedCredentials {
  readonly credentials: Credentials<object>;
  readonly version: number;
}

const DECODED_CACHE_LIMIT = 10_000;

interface Decoded {
  readonly record: StoredRecord;
  readonly loaded: LoadedCredentials;
}

/**
 * Reads and writes credentials through a store and a codec. Remembers the last decoded record per
 * key (the last 10,000 keys) so that reading an unchanged record does not decode it again (the
 * record string is compared, so a change by any writer, in any process, is always seen), and,
 * without a bound, per record object for stores that return the object they keep (a record
 * object is never changed, so it always decodes the same).
 */
export class CredentialRepository {
  readonly store: CredentialStore;
  readonly codec: CredentialCodec;
  readonly #decoded = new Map<string, Decoded>();
  /**
   * What was decoded per record object, for stores whose `get` hands back the object they keep
   * (the memory store): no bound needed, an entry goes when its record does.
   */
  readonly #byRecord = new WeakMap<StoredRecord, LoadedCredentials>();
  /**
   * Whether the store's `get` hands back the objects it keeps, as learnt from reads: `true` after a
   * read found its record object remembered (then the by-key cache is not needed), `false` after a
   * read returned an equal record in a new object (then remembering record objects is not: a
   * WeakMap entry per decoded record costs the garbage collector on every read of a large store).
   * `undefined` until known: both are kept.
   */
  #storeKeepsRecords: boolean | undefined;

  readonly #dueAt: ((provider: string, credentials: Credentials<object>) => number | undefined) | undefined;

  /**
   * @param dueAt - when a written credential is due for a proactive refresh (epoch milliseconds),
   *   passed to stores with an expiry index as `SetOptions.dueAtMs`
   */
  constructor(store: CredentialStore, codec: CredentialCodec, dueAt?: (provider: string, credentials: Credentials<object>) => number | undefined) {
    this.store = store;
    this.codec = codec;
    this.#dueAt = store.listDue ? dueAt : undefined;
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
    return this.store.get(key).then((record) => (record === undefined ? undefined : this.#decode(key, record)));
  }

  #decode(key: RecordKey, record: StoredRecord): LoadedCredentials {
    if (this.#storeKeepsRecords !== false) {
      const same = this.#byRecord.get(record);
      if (same !== undefined) {
        this.#storeKeepsRecords = true;
        return same;
      }
    }
    const id = recordKeyId(key);
    const hit = this.#decoded.get(id);
    if (hit !== undefined && (hit.record === record || (hit.record.version === record.version && hit.record.value === record.value))) {
      if (hit.record !== record) this.#storeKeepsRecords = false;
      return hit.loaded;
    }
    const credentials = this.codec.decode(record.value);
    return this.#remember(id, record, credentials).loaded;
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
    if (this.#storeKeepsRecords !== false) this.#byRecord.set(record, entry.loaded);
    if (this.#storeKeepsRecords === true) return entry;
    if (this.#decoded.size >= DECODED_CACHE_LIMIT && !this.#decoded.has(id)) {
      const oldest = this.#decoded.keys().next().value;
      if (oldest !== undefined) this.#decoded.delete(oldest);
    }
    this.#decoded.set(id, entry);
    return entry;
  }
}
