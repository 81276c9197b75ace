import { randomBytes } from 'node:crypto';
import type { Flash } from './html.js';

/** Options of {@link FlashStore}. */
export interface FlashStoreOptions {
  /** How long an unread message is kept, milliseconds. @default 300000 (5 minutes) */
  readonly ttlMs?: number;
  /** At most this many unread messages are kept; the oldest go first. @default 1000 */
  readonly maxEntries?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * One-shot messages carried across a redirect (post/redirect/get). The message stays on the
 * server; the browser holds only a random id in a cookie, so an API response of any size fits and
 * nobody can put text of their own on the page through the cookie.
 */
export class FlashStore {
  readonly #entries = new Map<string, { readonly flash: Flash; readonly expiresAtMs: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: FlashStoreOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Keeps a message until it is taken.
   * @returns its id (128 random bits, base64url), for the flash cookie
   */
  put(flash: Flash): string {
    const id = randomBytes(16).toString('base64url');
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(id, { flash, expiresAtMs: this.#now() + this.#ttlMs });
    return id;
  }

  /**
   * Removes and returns a message.
   * @returns the message, or `undefined` when the id is unknown, already taken or expired
   */
  take(id: string | undefined): Flash | undefined {
    if (id === undefined) return undefined;
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry && entry.expiresAtMs > this.#now() ? entry.flash : undefined;
  }
}
