import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';
import {
  type CredentialStore, type DeleteOptions, type ListFilter, type RecordKey, type SetOptions, type StoredRecord,
} from './CredentialStore.js';

interface Entry {
  readonly key: RecordKey;
  readonly record: StoredRecord;
  /** Epoch milliseconds after which the entry is gone; `undefined` = never. */
  readonly expiresAtMs: number | undefined;
}

/** Options for {@link MemoryCredentialStore}. */
export interface MemoryCredentialStoreOptions {
  /** Clock in epoch milliseconds (tests move time with it). @default Date.now */
  readonly now?: () => number;
}

/**
 * The embedded default store: a `Map` in this process. Expired records disappear when read, and a
 * sweep runs every 1,024 writes; it keeps no timer, so it never holds the process open.
 *
 * Not shared between processes and lost on exit: use `@authmanager/store-redis` for services with
 * more than one process. Implements no `lock` (the manager's in-process single-flight suffices).
 */
export class MemoryCredentialStore implements CredentialStore {
  // kind → provider → subject → entry: nested maps, so the hot path builds no key strings.
  readonly #entries = new Map<string, Map<string, Map<string, Entry>>>();
  readonly #now: () => number;
  #writesSinceSweep = 0;

  constructor(options: MemoryCredentialStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  #bucket(key: RecordKey, create: true): Map<string, Entry>;
  #bucket(key: RecordKey, create: false): Map<string, Entry> | undefined;
  #bucket(key: RecordKey, create: boolean): Map<string, Entry> | undefined {
    let byProvider = this.#entries.get(key.kind);
    if (byProvider === undefined) {
      if (!create) return undefined;
      this.#entries.set(key.kind, (byProvider = new Map()));
    }
    let bySubject = byProvider.get(key.provider);
    if (bySubject === undefined && create) byProvider.set(key.provider, (bySubject = new Map()));
    return bySubject;
  }

  #live(key: RecordKey): Entry | undefined {
    const bucket = this.#bucket(key, false);
    const entry = bucket?.get(key.subject);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= this.#now()) {
      bucket!.delete(key.subject);
      return undefined;
    }
    return entry;
  }

  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    return this.#live(key)?.record;
  }

  async set(key: RecordKey, value: string, options: SetOptions = {}): Promise<StoredRecord> {
    const current = this.#live(key);
    checkVersion(key, current?.record.version, options.ifVersion);
    const record: StoredRecord = { value, version: (current?.record.version ?? 0) + 1 };
    const expiresAtMs = options.ttlMs === undefined ? undefined : this.#now() + options.ttlMs;
    this.#bucket(key, true).set(key.subject, { key: { kind: key.kind, provider: key.provider, subject: key.subject }, record, expiresAtMs });
    if (++this.#writesSinceSweep >= 1024) this.#sweep();
    return record;
  }

  async delete(key: RecordKey, options: DeleteOptions = {}): Promise<boolean> {
    const current = this.#live(key);
    if (options.ifVersion !== undefined) checkVersion(key, current?.record.version, options.ifVersion);
    return current !== undefined && this.#bucket(key, false)!.delete(key.subject);
  }

  async take(key: RecordKey): Promise<StoredRecord | undefined> {
    const current = this.#live(key);
    if (current) this.#bucket(key, false)!.delete(key.subject);
    return current?.record;
  }

  async *list(filter: ListFilter): AsyncIterable<RecordKey> {
    const byProvider = this.#entries.get(filter.kind);
    if (!byProvider) return;
    const matches: RecordKey[] = [];
    for (const [provider, bySubject] of byProvider) {
      if (filter.provider !== undefined && provider !== filter.provider) continue;
      for (const entry of bySubject.values()) {
        if (filter.subject === undefined || entry.key.subject === filter.subject) matches.push(entry.key);
      }
    }
    for (const key of matches) if (this.#live(key)) yield key;
  }

  #sweep(): void {
    this.#writesSinceSweep = 0;
    const now = this.#now();
    for (const byProvider of this.#entries.values()) {
      for (const bySubject of byProvider.values()) {
        for (const [subject, entry] of bySubject) {
          if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= now) bySubject.delete(subject);
        }
      }
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
