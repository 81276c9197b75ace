import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';
import { DueIndex } from './DueIndex.js';
import type { CredentialCodec } from './CredentialCodec.js';
import type { Credentials } from './Credentials.js';
import { DecodedRecord, WRITE_CREDENTIALS } from './DecodedRecord.js';
import {
  type CredentialStore, type DeleteOptions, type ListFilter, type RecordKey, type SetOptions, type StoredRecord,
} from './CredentialStore.js';

/** Where a record written with `ttlMs` lives, and when it goes. */
interface Expiry {
  readonly key: RecordKey;
  /** Epoch milliseconds after which the record is gone. */
  readonly expiresAtMs: number;
}

/** Options for {@link MemoryCredentialStore}. */
export interface MemoryCredentialStoreOptions {
  /** Clock in epoch milliseconds (tests move time with it). @default Date.now */
  readonly now?: () => number;
}

/**
 * The embedded default store: a `Map` in this process. Expired records disappear when read, and a
 * sweep of the records written with `ttlMs` (only those) runs every 1,024 writes, so filling it
 * costs the same per write at a thousand records as at a million; it keeps no timer, so it never
 * holds the process open.
 *
 * `get` returns the very record object `set` stored (records are never mutated). A manager writes
 * credentials to it as objects (one copy of each token, read back without decoding); `get` still
 * gives their encoded `value` to any other reader.
 *
 * Not shared between processes and lost on exit: use `@authmanager/store-redis` for services with
 * more than one process. Implements no `lock` (the manager's in-process single-flight suffices).
 *
 * @example
 * ```ts
 * import { AuthManager, MemoryCredentialStore } from '@authmanager/core';
 *
 * const auth = new AuthManager({ providers: [], store: new MemoryCredentialStore() });
 * ```
 */
export class MemoryCredentialStore implements CredentialStore {
  // kind → provider → subject → record: nested maps, so the hot path builds no key strings, and
  // a record costs one map slot and its `{ value, version }`.
  readonly #entries = new Map<string, Map<string, Map<string, StoredRecord>>>();
  /** Records written with `ttlMs`. */
  readonly #expiring = new Map<StoredRecord, Expiry>();
  readonly #now: () => number;
  #writesSinceSweep = 0;
  /** Credential records written with `dueAtMs`; made on first use. */
  #due: DueIndex<StoredRecord> | undefined;
  /** The due time of each string record the due index holds an entry for (a {@link DecodedRecord} keeps its own). */
  readonly #indexed = new WeakMap<StoredRecord, number>();

  #dueOf(record: StoredRecord): number | undefined {
    return record instanceof DecodedRecord ? record.dueAtMs : this.#indexed.get(record);
  }

  /** @param options - the clock, see {@link MemoryCredentialStoreOptions} */
  constructor(options: MemoryCredentialStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  #bucket(key: RecordKey, create: true): Map<string, StoredRecord>;
  #bucket(key: RecordKey, create: false): Map<string, StoredRecord> | undefined;
  #bucket(key: RecordKey, create: boolean): Map<string, StoredRecord> | undefined {
    let byProvider = this.#entries.get(key.kind);
    if (byProvider === undefined) {
      if (!create) return undefined;
      this.#entries.set(key.kind, (byProvider = new Map()));
    }
    let bySubject = byProvider.get(key.provider);
    if (bySubject === undefined && create) byProvider.set(key.provider, (bySubject = new Map()));
    return bySubject;
  }

  #live(key: RecordKey): StoredRecord | undefined {
    const bucket = this.#bucket(key, false);
    const record = bucket?.get(key.subject);
    if (record === undefined || this.#expiring.size === 0) return record;
    const expiry = this.#expiring.get(record);
    if (expiry !== undefined && expiry.expiresAtMs <= this.#now()) {
      bucket!.delete(key.subject);
      this.#expiring.delete(record);
      return undefined;
    }
    return record;
  }

  /** The record, or `undefined` if absent or expired. */
  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    return this.#live(key);
  }

  /**
   * Writes a record with the next version.
   * @throws AuthManagerError `STORE_CONFLICT` when `options.ifVersion` does not match
   */
  async set(key: RecordKey, value: string, options: SetOptions = {}): Promise<StoredRecord> {
    return this.#write(key, (version) => ({ value, version }), options);
  }

  /**
   * What the credential repository writes through: the credentials themselves, kept as a
   * {@link DecodedRecord} (see there), with `set`'s versioning and options.
   * @throws AuthManagerError `STORE_CONFLICT` when `options.ifVersion` does not match
   */
  async [WRITE_CREDENTIALS](key: RecordKey, credentials: Credentials<object>, codec: CredentialCodec, options: SetOptions = {}): Promise<StoredRecord> {
    // A subclass that overrides `set` (to count writes, or to make them fail) sees every write.
    if (this.set !== MemoryCredentialStore.prototype.set) return this.set(key, codec.encode(credentials), options);
    return this.#write(key, (version) => new DecodedRecord(credentials, codec, version), options);
  }

  #write<R extends StoredRecord>(key: RecordKey, make: (version: number) => R, options: SetOptions): R {
    const current = this.#live(key);
    checkVersion(key, current?.version, options.ifVersion);
    const record = make((current?.version ?? 0) + 1);
    const previousDue = current === undefined ? undefined : this.#dueOf(current);
    if (current !== undefined) {
      this.#expiring.delete(current);
      if (previousDue !== undefined) this.#due!.dropped();
    }
    // A number indexes the record, null removes it, absent keeps the previous due time.
    const dueAtMs = options.dueAtMs === undefined ? previousDue : options.dueAtMs ?? undefined;
    if (dueAtMs !== undefined && key.kind === 'credentials') {
      (this.#due ??= new DueIndex()).add(dueAtMs, key, record);
      if (record instanceof DecodedRecord) record.dueAtMs = dueAtMs;
      else this.#indexed.set(record, dueAtMs);
    }
    if (options.ttlMs !== undefined) {
      this.#expiring.set(record, { key: { kind: key.kind, provider: key.provider, subject: key.subject }, expiresAtMs: this.#now() + options.ttlMs });
    }
    this.#bucket(key, true).set(key.subject, record);
    if (++this.#writesSinceSweep >= 1024) this.#sweep();
    return record;
  }

  /**
   * Deletes a record. @returns whether it existed
   * @throws AuthManagerError `STORE_CONFLICT` when `options.ifVersion` does not match
   */
  async delete(key: RecordKey, options: DeleteOptions = {}): Promise<boolean> {
    const current = this.#live(key);
    if (options.ifVersion !== undefined) checkVersion(key, current?.version, options.ifVersion);
    if (current === undefined) return false;
    this.#expiring.delete(current);
    if (this.#dueOf(current) !== undefined) this.#due!.dropped();
    return this.#bucket(key, false)!.delete(key.subject);
  }

  /** Reads and deletes a record. */
  async take(key: RecordKey): Promise<StoredRecord | undefined> {
    const current = this.#live(key);
    if (current !== undefined) {
      this.#expiring.delete(current);
      if (this.#dueOf(current) !== undefined) this.#due!.dropped();
      this.#bucket(key, false)!.delete(key.subject);
    }
    return current;
  }

  /**
   * Keys of credential records written with `dueAtMs` at or before `beforeMs`, earliest first (see
   * `CredentialStore.listDue`): O(due · log n) over a heap, not a scan.
   */
  async listDue(beforeMs: number, limit: number): Promise<RecordKey[]> {
    return this.#due?.due(beforeMs, limit, (key, record) => this.#live(key) === record) ?? [];
  }

  /** Keys of live records matching the filter. */
  async *list(filter: ListFilter): AsyncIterable<RecordKey> {
    const byProvider = this.#entries.get(filter.kind);
    if (!byProvider) return;
    const matches: RecordKey[] = [];
    for (const [provider, bySubject] of byProvider) {
      if (filter.provider !== undefined && provider !== filter.provider) continue;
      if (filter.subject !== undefined) {
        if (bySubject.has(filter.subject)) matches.push({ kind: filter.kind, provider, subject: filter.subject });
        continue;
      }
      for (const subject of bySubject.keys()) matches.push({ kind: filter.kind, provider, subject });
    }
    for (const key of matches) if (this.#live(key)) yield key;
  }

  /** Drops expired records: walks only the records written with `ttlMs`. */
  #sweep(): void {
    this.#writesSinceSweep = 0;
    if (this.#expiring.size === 0) return;
    const now = this.#now();
    for (const [record, expiry] of this.#expiring) {
      if (expiry.expiresAtMs > now) continue;
      this.#expiring.delete(record);
      const bucket = this.#bucket(expiry.key, false);
      if (bucket?.get(expiry.key.subject) === record) bucket.delete(expiry.key.subject);
    }
  }
}

/**
 * Throws `STORE_CONFLICT` when a compare-and-set precondition fails. Shared by stores that check
 * versions in-process.
 * @param current - the stored version, `undefined` when absent
 * @param expected - `SetOptions.ifVersion`
 */
export function checkVersion(key: RecordKey, current: number | undefined, expected: number | null | undefined): void {
  if (expected === undefined) return;
  if (expected === null ? current === undefined : current === expected) return;
  throw new AuthManagerError(
    ErrorCode.STORE_CONFLICT,
    `Write conflict on ${key.kind} record for provider "${key.provider}": expected ${expected === null ? 'no record' : `version ${expected}`}, found ${current === undefined ? 'no record' : `version ${current}`}`,
    { provider: key.provider },
  );
}
