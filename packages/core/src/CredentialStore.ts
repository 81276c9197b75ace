/**
 * What a store keeps: credentials, and pending authorizations (short-lived, consumed once).
 */
export type RecordKind = 'credentials' | 'pending';

/**
 * Address of one record. For credentials: (provider id, subject). For pending authorizations the
 * provider is `'*'` and the subject is the SHA-256 of the `state`, so a dump of the store reveals no
 * usable state.
 */
export interface RecordKey {
  readonly kind: RecordKind;
  readonly provider: string;
  readonly subject: string;
}

/** A stored value with its version. Versions start at 1 and grow by 1 with every write of the key. */
export interface StoredRecord {
  /** The encoded record (opaque to the store). */
  readonly value: string;
  /** Version for compare-and-set: 1 for the first write, +1 per write. */
  readonly version: number;
}

/** Options for {@link CredentialStore.set}. */
export interface SetOptions {
  /**
   * Compare-and-set: `undefined` writes unconditionally; `null` writes only if the key does not
   * exist; a number writes only if the stored version equals it. A mismatch throws
   * `STORE_CONFLICT` and writes nothing.
   */
  readonly ifVersion?: number | null;
  /** Delete the record after this many milliseconds (used for pending authorizations). */
  readonly ttlMs?: number;
  /**
   * For stores with {@link CredentialStore.listDue}: index the record as due for a proactive refresh
   * at this time, epoch milliseconds (written with the record, atomically where the store can);
   * `null` removes the record from the index; absent leaves its entry as it was (a wrapper that
   * rewrites a record it cannot read, such as a re-encryption, keeps the due time).
   */
  readonly dueAtMs?: number | null;
}

/** Options for {@link CredentialStore.delete}. */
export interface DeleteOptions {
  /** Delete only if the stored version equals this; otherwise `STORE_CONFLICT`. */
  readonly ifVersion?: number;
}

/** Filter for {@link CredentialStore.list}. */
export interface ListFilter {
  readonly kind: RecordKind;
  /** Only this provider. */
  readonly provider?: string;
  /** Only this subject. */
  readonly subject?: string;
}

/** Options for {@link CredentialStore.lock}. */
export interface LockOptions {
  /** The lock expires by itself after this many milliseconds, so a crashed owner delays others at most this long. */
  readonly ttlMs: number;
  /** Give up with `LOCK_TIMEOUT` after waiting this many milliseconds. */
  readonly waitMs: number;
}

/** A held lock. Only its owner can release it (compare-and-delete on the owner token). */
export interface StoreLock {
  /** Random owner token. */
  readonly token: string;
  /** Release if still owned; a no-op when it already expired or was taken over. */
  release(): Promise<void>;
  /**
   * Extend the lock's expiry to its `ttlMs` from now, if still owned (compare-and-expire on the owner
   * token). Used while a refreshed credential waits to be persisted through a store outage.
   * @returns `true` when still owned and extended; `false` when it expired or was taken over
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the store cannot be reached
   */
  renew?(): Promise<boolean>;
}

/**
 * The storage port. Every store in this repository passes the conformance suite in
 * `@authmanager/testing` (`describeCredentialStore`).
 *
 * Errors: `STORE_CONFLICT` on a lost compare-and-set, `STORE_UNAVAILABLE` when the backend fails
 * (with the cause), `LOCK_TIMEOUT` from {@link CredentialStore.lock}.
 */
export interface CredentialStore {
  /** The record, or `undefined` if absent or expired. */
  get(key: RecordKey): Promise<StoredRecord | undefined>;
  /**
   * Write a record; returns it with its new version.
   * @throws AuthManagerError `STORE_CONFLICT` when `options.ifVersion` does not match
   */
  set(key: RecordKey, value: string, options?: SetOptions): Promise<StoredRecord>;
  /**
   * Delete a record. @returns whether it existed
   * @throws AuthManagerError `STORE_CONFLICT` when `options.ifVersion` does not match
   */
  delete(key: RecordKey, options?: DeleteOptions): Promise<boolean>;
  /** Atomically read and delete a record: of two concurrent `take`s of one key, one gets it. */
  take(key: RecordKey): Promise<StoredRecord | undefined>;
  /** Keys of live records matching the filter, in no particular order. */
  list(filter: ListFilter): AsyncIterable<RecordKey>;
  /**
   * Optional cross-process lock used to coordinate refreshes. Stores shared by several processes
   * implement it; the in-memory store does not need to (the manager is single-flight in-process).
   * @throws AuthManagerError `LOCK_TIMEOUT` after `options.waitMs`
   */
  lock?(key: RecordKey, options: LockOptions): Promise<StoreLock>;
  /**
   * Optional, with `lock`: resolves when the lock of `key` is released by its holder (or expires, as
   * far as the store can tell), so a process waiting for another's refresh re-reads the record as soon
   * as it lands instead of polling. Resolves `false` when `timeoutMs` passes first. Waiting never
   * takes the lock.
   * @param timeoutMs - the longest wait, milliseconds
   * @returns `true` when a release was seen, `false` on timeout
   * @throws AuthManagerError `STORE_UNAVAILABLE`
   */
  lockReleased?(key: RecordKey, timeoutMs: number): Promise<boolean>;
  /**
   * Optional expiry index: keys of credential records written with `dueAtMs` at or before
   * `beforeMs`, earliest first, at most `limit`. Costs O(due · log n), not a scan; used by
   * `auth.refreshDue()` and `auth.startRefresher()`. An entry may be stale (the caller reads the
   * record again before acting).
   * @param beforeMs - epoch milliseconds
   * @throws AuthManagerError `STORE_UNAVAILABLE`
   */
  listDue?(beforeMs: number, limit: number): Promise<RecordKey[]>;
  /** Release connections/resources held by the store. */
  close?(): Promise<void>;
}

/**
 * A string that identifies `key` uniquely: kind, the provider's length, provider, subject. The
 * length prefix keeps it unambiguous whatever characters the provider and subject contain.
 */
export function recordKeyId(key: RecordKey): string {
  return `${key.kind}:${key.provider.length}:${key.provider}:${key.subject}`;
}
