import { TickBatch } from './TickBatch.js';

/** Most reads in one batch (as {@link WriteBatch}'s writes: Redis answers one while the next is built). */
const MAX_READS = 32;

/**
 * The reads of one store made in the same tick, sent as one `MGET` (internal; standalone servers
 * only, where one command may name keys of any slot). ioredis spends a few microseconds on each
 * command it sends and each reply it parses; one `MGET` for the reads of a tick pays that once,
 * and Redis answers it with one reply. `MGET` answers `nil` both for a missing key and for a key
 * that holds something other than a string (a record of the earlier hash format): the store reads
 * those keys again alone ({@link ReadBatch.add}'s caller), so a batch never changes a result.
 * When it goes out: see {@link TickBatch}.
 */
export class ReadBatch extends TickBatch<string | null> {
  readonly #run: (keys: string[]) => Promise<unknown>;
  #keys: string[] = [];

  /** @param run - sends one `MGET` of `keys`; resolves to one entry per key (a string or `null`) */
  constructor(run: (keys: string[]) => Promise<unknown>) {
    super();
    this.#run = run;
  }

  /**
   * Queues one read.
   * @returns the key's string value, or `null` when it has none (missing, or not a string);
   *   rejects when the call fails
   */
  add(key: string): Promise<string | null> {
    this.#keys.push(key);
    return this.enqueue(this.#keys.length >= MAX_READS);
  }

  protected send(): Promise<unknown> {
    const keys = this.#keys;
    this.#keys = [];
    return this.#run(keys);
  }

  protected reply(entry: unknown): string | null {
    return typeof entry === 'string' ? entry : null;
  }
}
