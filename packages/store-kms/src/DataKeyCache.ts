import { AuthManagerError, ErrorCode } from '@authmanager/core';

/**
 * Limits of the data-key cache of `KmsEncryptedCredentialStore`. A cached plaintext data key is
 * dropped, and zeroed, when it reaches either limit, so the number of key-service calls is about
 * `records / maxUses + elapsed / maxAgeMs` per distinct key instead of one per read or write.
 */
export interface DataKeyCacheOptions {
  /** Longest time a plaintext data key stays in memory, in milliseconds. @default 300_000 (5 minutes) */
  readonly maxAgeMs?: number;
  /** Most records one cached data key encrypts or decrypts before it is dropped. @default 10_000 */
  readonly maxUses?: number;
  /** Most data keys held at once for decryption (the least recently used go first). @default 1_000 */
  readonly maxEntries?: number;
}

/** A cached data key (internal); its `plaintextKey` is zeroed when it leaves the cache. */
export interface CachedDataKey {
  readonly keyId: string;
  readonly plaintextKey: Buffer;
  readonly wrappedKey: Buffer;
  readonly createdAtMs: number;
  uses: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Defaults of {@link DataKeyCacheOptions}. */
export const DATA_KEY_CACHE_DEFAULTS = { maxAgeMs: 300_000, maxUses: 10_000, maxEntries: 1_000 } as const;

/**
 * Bounded cache of plaintext data keys (internal). Keys are used only inside {@link DataKeyCache.use}'s
 * synchronous callback, so an eviction never zeroes a key in the middle of a use. Each entry has an
 * unref'd timer that zeroes it at `maxAgeMs` even when the cache is idle; it never holds the process open.
 */
export class DataKeyCache {
  readonly maxAgeMs: number;
  readonly maxUses: number;
  readonly maxEntries: number;
  readonly #entries = new Map<string, CachedDataKey>();
  readonly #now: () => number;

  constructor(options: DataKeyCacheOptions, now: () => number) {
    this.maxAgeMs = positive(options.maxAgeMs ?? DATA_KEY_CACHE_DEFAULTS.maxAgeMs, 'maxAgeMs');
    this.maxUses = positive(options.maxUses ?? DATA_KEY_CACHE_DEFAULTS.maxUses, 'maxUses');
    this.maxEntries = positive(options.maxEntries ?? DATA_KEY_CACHE_DEFAULTS.maxEntries, 'maxEntries');
    this.#now = now;
  }

  /** Number of keys held. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Runs `fn` with the live entry for `id`, counting one use, and drops the entry once it is
   * exhausted. @returns `{ value }` from `fn`, or `undefined` when there is no live entry
   */
  use<T>(id: string, fn: (entry: CachedDataKey) => T): { value: T } | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.createdAtMs >= this.maxAgeMs || entry.uses >= this.maxUses) {
      this.delete(id);
      return undefined;
    }
    entry.uses += 1;
    // Least recently used first in iteration order.
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    try {
      return { value: fn(entry) };
    } finally {
      if (entry.uses >= this.maxUses) this.delete(id);
    }
  }

  /**
   * Adds a key; the cache takes ownership of `plaintextKey` and zeroes it on eviction.
   * @param uses - uses already made of it (1 when it just encrypted a record)
   */
  put(id: string, keyId: string, plaintextKey: Buffer, wrappedKey: Buffer, uses: number): void {
    if (uses >= this.maxUses) {
      plaintextKey.fill(0);
      return;
    }
    this.delete(id);
    const entry: CachedDataKey = { keyId, plaintextKey, wrappedKey, createdAtMs: this.#now(), uses, timer: undefined };
    entry.timer = setTimeout(() => {
      if (this.#entries.get(id) === entry) this.delete(id);
    }, this.maxAgeMs);
    entry.timer.unref?.();
    this.#entries.set(id, entry);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
  }

  /** Drops and zeroes one key. */
  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    evict(entry);
  }

  /** Drops and zeroes every key. */
  clear(): void {
    for (const entry of this.#entries.values()) evict(entry);
    this.#entries.clear();
  }
}

function evict(entry: CachedDataKey): void {
  if (entry.timer !== undefined) clearTimeout(entry.timer);
  entry.plaintextKey.fill(0);
}

function positive(value: number, name: string): number {
  if (!(value > 0)) {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `DataKeyCacheOptions.${name} must be positive, got ${value}`);
  }
  return value;
}
