import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';
import {
  recordKeyId,
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
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #writesSinceSweep = 0;

  constructor(options: MemoryCredentialStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  #live(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry;
  }

  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    return this.#live(recordKeyId(key))?.record;
  }

  async set(key: RecordKey, value: string, options: SetOptions = {}): Promise<StoredRecord> {
    const id = recordKeyId(key);
    const current = this.#live(id);
    checkVersion(key, current?.record.version, options.ifVersion);
    const record: StoredRecord = { value, version: (current?.record.version ?? 0) + 1 };
    const expiresAtMs = options.ttlMs === undefined ? undefined : this.#now() + options.ttlMs;
    this.#entries.set(id, { key: { kind: key.kind, provider: key.provider, subject: key.subject }, record, expiresAtMs });
    if (++this.#writesSinceSweep >= 1024) this.#sweep();
    return record;
  }

  async delete(key: RecordKey, options: DeleteOptions = {}): Promise<boolean> {
    const id = recordKeyId(key);
    const current = this.#live(id);
    if (options.ifVersion !== undefined) checkVersion(key, current?.record.version, options.ifVersion);
    return current !== undefined && this.#entries.delete(id);
  }

  async take(key: RecordKey): Promise<StoredRecord | undefined> {
    const id = recordKeyId(key);
    const current = this.#live(id);
    if (current) this.#entries.delete(id);
    return current?.record;
  }

  async *list(filter: ListFilter): AsyncIterable<RecordKey> {
    for (const [id, entry] of [...this.#entries]) {
      const { key } = entry;
      if (key.kind !== filter.kind) continue;
      if (filter.provider !== undefined && key.provider !== filter.provider) continue;
      if (filter.subject !== undefined && key.subject !== filter.subject) continue;
      if (this.#live(id)) yield key;
    }
  }

  #sweep(): void {
    this.#writesSinceSweep = 0;
    const now = this.#now();
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= now) this.#entries.delete(id);
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
