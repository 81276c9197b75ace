import { AuthManagerError, ErrorCode } from '@authmanager/core';

/**
 * Limits of the replay detection of `KmsEncryptedCredentialStore`: how many records' lifetimes one
 * store instance remembers. Each record takes about 200 bytes (its generation, highest version
 * seen and up to 8 ended generations); the least recently used record is forgotten first, and a
 * forgotten record has no replay detection until it is read again.
 */
export interface ReplayDetectionOptions {
  /** Most records remembered at once. @default 10_000 */
  readonly maxRecords?: number;
}

/** Defaults of {@link ReplayDetectionOptions}. */
export const REPLAY_DETECTION_DEFAULTS = { maxRecords: 10_000 } as const;

/** Ended generations remembered per record (the oldest is forgotten first). */
const ENDED_PER_RECORD = 8;

/** Why {@link LifetimeTracker.check} refuses a record. */
export type StaleReason = 'ended' | 'older';

interface Lifetime {
  /** Generation of the record as last seen; `undefined` when absent or an amk1 record. */
  generation: string | undefined;
  /** Highest version seen in `generation`. */
  version: number;
  /** Sequence number of the observation this entry last recorded. */
  atSeq: number;
  /** Generations whose lifetime this process saw end, with the sequence number at which it did. */
  readonly ended: Map<string, number>;
}

/**
 * What this process has seen of each record's lifetimes (internal to `KmsEncryptedCredentialStore`).
 *
 * A record's generation is drawn when the record is created and kept by every update, so
 * (generation, version) only ever grows while the record exists, and a generation never comes back
 * once its record was deleted or replaced by a new one. Hence, for a read whose result this
 * process can order after an earlier observation:
 * - a generation seen to end (the record read as absent, deleted or taken through this store,
 *   created anew, or found under another generation) is a replay of a deleted record;
 * - the current generation at a lower version than already seen is a rollback.
 *
 * Ordering: operations overlap (a read may still be waiting for KMS while a delete completes), and
 * a result can only be compared with what was recorded before its inner-store call was issued.
 * Every recording takes the next sequence number; an operation notes {@link LifetimeTracker.mark}
 * before it calls the inner store, compares only with entries recorded up to that mark, and an
 * observation made older than the entry's latest is dropped. So an overlap can hide a replay
 * but never makes a genuine record fail.
 *
 * This is state outside the store, but only this process's memory: a process that never saw the
 * newer lifetime (a fresh start, another host, an evicted entry) cannot tell an old record from a
 * current one, and nothing kept in the store itself can, because an attacker who can write the
 * store can write back every byte of an old record, generation included.
 */
export class LifetimeTracker {
  readonly maxRecords: number;
  readonly #entries = new Map<string, Lifetime>();
  /** The entry touched last (already last in iteration order). */
  #newest: Lifetime | undefined;
  #seq = 0;

  /** @throws AuthManagerError `CONFIGURATION` for a non-positive `maxRecords` */
  constructor(options: ReplayDetectionOptions) {
    this.maxRecords = options.maxRecords ?? REPLAY_DETECTION_DEFAULTS.maxRecords;
    if (!(this.maxRecords > 0)) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `ReplayDetectionOptions.maxRecords must be positive, got ${this.maxRecords}`);
    }
  }

  /** Number of records remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /** @returns the mark to pass with what an inner-store call issued now returns */
  mark(): number {
    return this.#seq;
  }

  /**
   * Compares a record read with a call issued at `since` with what was known then.
   * @returns why it is stale, or `undefined` when nothing contradicts it (always for amk1 records)
   */
  check(id: string, generation: string | undefined, version: number, since: number): StaleReason | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || generation === undefined) return undefined;
    const endedAt = entry.ended.size === 0 ? undefined : entry.ended.get(generation);
    if (endedAt !== undefined && endedAt <= since) return 'ended';
    if (entry.generation === generation && entry.atSeq <= since && version < entry.version) return 'older';
    return undefined;
  }

  /**
   * The record's generation and the highest version seen in it, when this process last saw the
   * record exist (and in the amk2 format); `undefined` otherwise.
   */
  latest(id: string): { readonly generation: string; readonly version: number } | undefined {
    const entry = this.#entries.get(id);
    return entry?.generation === undefined ? undefined : { generation: entry.generation, version: entry.version };
  }

  /** Whether this process saw `generation` of the record end (at any time). */
  hasEnded(id: string, generation: string): boolean {
    return this.#entries.get(id)?.ended.has(generation) ?? false;
  }

  /**
   * Records an authenticated record (read, or written by this store) from a call issued at `since`.
   * A different generation than the one recorded ends that one.
   */
  observe(id: string, generation: string | undefined, version: number, since: number): void {
    const entry = this.#entry(id);
    if (entry.atSeq > since) return;
    const seq = ++this.#seq;
    if (entry.generation !== undefined && entry.generation !== generation) end(entry, entry.generation, seq);
    entry.version = entry.generation === generation ? Math.max(entry.version, version) : version;
    entry.generation = generation;
    entry.atSeq = seq;
  }

  /** Records that the record was absent, or was deleted, by a call issued at `since`. */
  ended(id: string, since: number): void {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.atSeq > since) return;
    const seq = ++this.#seq;
    if (entry.generation !== undefined) end(entry, entry.generation, seq);
    entry.generation = undefined;
    entry.version = 0;
    entry.atSeq = seq;
    this.#touch(id, entry);
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
  }

  #entry(id: string): Lifetime {
    const entry = this.#entries.get(id) ?? { generation: undefined, version: 0, atSeq: -1, ended: new Map<string, number>() };
    this.#touch(id, entry);
    return entry;
  }

  /** Moves the entry to the most recently used end; forgets the least recently used beyond `maxRecords`. */
  #touch(id: string, entry: Lifetime): void {
    if (entry === this.#newest) return;
    this.#newest = entry;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    while (this.#entries.size > this.maxRecords) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}

function end(entry: Lifetime, generation: string, seq: number): void {
  entry.ended.delete(generation);
  entry.ended.set(generation, seq);
  if (entry.ended.size > ENDED_PER_RECORD) {
    const oldest = entry.ended.keys().next();
    if (oldest.done !== true) entry.ended.delete(oldest.value);
  }
}
