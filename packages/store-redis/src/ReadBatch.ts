/** A read waiting in a {@link ReadBatch}. */
interface Waiter {
  readonly resolve: (value: string | null) => void;
  readonly reject: (err: unknown) => void;
}

/** Most reads in one batch (as {@link WriteBatch}'s writes: Redis answers one while the next is built). */
const MAX_READS = 32;

/**
 * The reads of one store made in the same tick, sent as one `MGET` (internal; standalone servers
 * only, where one command may name keys of any slot). ioredis spends a few microseconds on each
 * command it sends and each reply it parses; one `MGET` for the reads of a tick pays that once,
 * and Redis answers it with one reply. `MGET` answers `nil` both for a missing key and for a key
 * that holds something other than a string (a record of the earlier hash format): the store reads
 * those keys again alone ({@link ReadBatch.add}'s caller), so a batch never changes a result.
 *
 * The batch goes out in a microtask after the first read, at once when it is full, or when the
 * store is about to send any other command ({@link ReadBatch.flush}), so the store's commands
 * reach Redis in the order they were made.
 */
export class ReadBatch {
  readonly #run: (keys: string[]) => Promise<unknown>;
  #keys: string[] = [];
  #waiters: Waiter[] = [];
  #scheduled = false;
  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** @param run - sends one `MGET` of `keys`; resolves to one entry per key (a string or `null`) */
  constructor(run: (keys: string[]) => Promise<unknown>) {
    this.#run = run;
  }

  /**
   * Queues one read.
   * @returns the key's string value, or `null` when it has none (missing, or not a string);
   *   rejects when the call fails
   */
  add(key: string): Promise<string | null> {
    return new Promise((resolve, reject) => {
      this.#keys.push(key);
      this.#waiters.push({ resolve, reject });
      if (this.#waiters.length >= MAX_READS) {
        this.flush();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(this.#flushSoon);
      }
    });
  }

  /** Sends the queued reads now (nothing when none is queued). */
  flush(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    const keys = this.#keys;
    this.#keys = [];
    this.#waiters = [];
    let sending: Promise<unknown>;
    try {
      sending = this.#run(keys);
    } catch (err) {
      sending = Promise.reject(err);
    }
    sending.then(
      (values) => {
        const entries = values as (string | null)[];
        for (let i = 0; i < waiters.length; i++) waiters[i]!.resolve(entries[i] ?? null);
      },
      (err: unknown) => { for (const waiter of waiters) waiter.reject(err); },
    );
  }
}
