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

interface Decoded {
  readonly record: StoredRecord;
  readonly loaded: LoadedCredentials;
}

/**
 * Reads and writes credentials through a store and a codec. Remembers the last decoded record per
 * key (the last 10,000 keys) so that reading an unchanged record does not decode it again (the
 * record is compared, so a change by any writer, in any process, is always seen). A store that
 * keeps credentials as objects (the memory store, see {@link DecodedRecord}) is written with them
 * and read back without decoding at all.
 */
export class CredentialRepository {
  readonly store: CredentialStore;
  readonly codec: CredentialCodec;
  readonly #decoded = new Map<string, Decoded>();
  readonly #objectStore: CredentialObjectStore | undefined;

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
    if (hit !== undefined && (hit.record === record || (hit.record.version === record.version && hit.record.value === record.value))) {
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
