import { AuthManagerError, ErrorCode } from '@authmanager/core';
import type { KeyHeader } from './envelope.js';

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
  /** Key id, wrapped key and their encodings in headers and AADs. */
  readonly header: KeyHeader;
  readonly plaintextKey: Buffer;
  readonly createdAtMs: number;
  /** When the sweep timer drops it, in `Date.now()` milliseconds (the timer runs on real time, whatever the clock option). */
  readonly sweepAtMs: number;
  uses: number;
}

/** Defaults of {@link DataKeyCacheOptions}. */
export const DATA_KEY_CACHE_DEFAULTS = { maxAgeMs: 300_000, maxUses: 10_000, maxEntries: 1_000 } as const;

/**
 * Bounded cache of plaintext data keys (internal). Keys are used only inside {@link DataKeyCache.use}'s
 * synchronous callback, so an eviction never zeroes a key in the middle of a use. One unref'd
 * timer per cache (not one per key: a `'record'`-scope store caches a key per write) zeroes each
 * key at `maxAgeMs` even when the cache is idle; it is armed for the earliest key and never holds
 * the process open.
 */
export class DataKeyCache {
  readonly maxAgeMs: number;
  readonly maxUses: number;
  readonly maxEntries: number;
  readonly #entries = new Map<string, CachedDataKey>();
  readonly #now: () => number;
  /** The entry last used or added (last in iteration order already: a repeat use need not move it). */
  #newest: CachedDataKey | undefined;
  #sweepTimer: ReturnType<typeof setTimeout> | undefined;

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
   * exhausted.
   * @param keyId - when given, an entry under `id` for another key id counts as absent (and is not used)
   * @returns `{ value }` from `fn`, or `undefined` when there is no live entry
   */
  use<T>(id: string, fn: (entry: CachedDataKey) => T, keyId?: string): { value: T } | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || (keyId !== undefined && entry.header.keyId !== keyId)) return undefined;
    if (this.#now() - entry.createdAtMs >= this.maxAgeMs || entry.uses >= this.maxUses) {
      this.delete(id);
      return undefined;
    }
    entry.uses += 1;
    // Least recently used first in iteration order.
    if (entry !== this.#newest) {
      this.#entries.delete(id);
      this.#entries.set(id, entry);
      this.#newest = entry;
    }
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
  put(id: string, header: KeyHeader, plaintextKey: Buffer, uses: number): void {
    if (uses >= this.maxUses) {
      plaintextKey.fill(0);
      return;
    }
    this.delete(id);
    const entry: CachedDataKey = { header, plaintextKey, createdAtMs: this.#now(), sweepAtMs: Date.now() + this.maxAgeMs, uses };
    this.#entries.set(id, entry);
    this.#newest = entry;
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
    // An armed timer is due no later than this key (keys are added in time order).
    if (this.#sweepTimer === undefined) this.#armSweep(this.maxAgeMs);
  }

  /** Drops and zeroes one key. */
  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    if (entry === this.#newest) this.#newest = undefined;
    entry.plaintextKey.fill(0);
  }

  /** Drops and zeroes every key. */
  clear(): void {
    for (const entry of this.#entries.values()) entry.plaintextKey.fill(0);
    this.#entries.clear();
    this.#newest = undefined;
    clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }

  #armSweep(delayMs: number): void {
    this.#sweepTimer = setTimeout(() => this.#sweep(), delayMs);
    this.#sweepTimer.unref?.();
  }

  /** Drops the keys whose time is up, then arms the timer for the earliest left (if any). */
  #sweep(): void {
    this.#sweepTimer = undefined;
    const nowMs = Date.now();
    let nextMs = Infinity;
    for (const [id, entry] of this.#entries) {
      if (entry.sweepAtMs <= nowMs) this.delete(id);
      else nextMs = Math.min(nextMs, entry.sweepAtMs);
    }
    if (nextMs !== Infinity) this.#armSweep(Math.max(1, nextMs - nowMs));
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0)) {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `DataKeyCacheOptions.${name} must be positive, got ${value}`);
  }
  return value;
}
