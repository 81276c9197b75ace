import { TickBatch } from './TickBatch.js';

/**
 * Most writes in one batch. Smaller batches let Redis run the script of one while this process
 * builds the next (they are written to the connection as soon as they are full): with 64
 * concurrent writers, batches of 32 gave twice the writes per second of one batch of 64 or more,
 * and batches of 8 or 16 no more than 32 (`bench/stores.mjs redis`, figure 10f).
 */
const MAX_WRITES = 32;
/** A batch is sent as soon as its values add up to this many characters. */
const MAX_VALUE_CHARS = 1 << 20;

/**
 * The writes of one store made in the same tick, sent as one call of the write script (internal;
 * standalone servers only, where one script may touch any key). Redis runs a script call at a
 * cost of a few microseconds before its first command, and ioredis spends about as much on each
 * command it sends; one call for the writes of a tick pays both once. The script applies the
 * writes one after the other, each exactly as if it were alone (its own compare-and-set, version,
 * expiry and reply), so batching changes no result; a call that fails (connection, deadline)
 * fails every write in it, each of which was then applied completely or not at all.
 *
 * The batch goes out in a microtask after the first write, or at once when it is full or when the
 * store is about to send any other command ({@link WriteBatch.flush}), so the store's commands
 * reach Redis in the order they were made. The store writes a batch to the connection at once,
 * not in ioredis' auto-pipeline (which waits for `setImmediate`), unless commands are already
 * waiting there.
 */
export class WriteBatch extends TickBatch<unknown> {
  readonly #run: (keys: string[], args: string[]) => Promise<unknown>;
  readonly #trailingKeys: readonly string[];
  #keys: string[] = [];
  #args: string[] = [];
  #valueChars = 0;

  /**
   * @param run - sends one script call: the record keys of the writes followed by `trailingKeys`,
   *   and the arguments of the writes in order; resolves to one reply per write
   * @param trailingKeys - keys the script may touch besides the records (the due index)
   */
  constructor(run: (keys: string[], args: string[]) => Promise<unknown>, trailingKeys: readonly string[]) {
    super();
    this.#run = run;
    this.#trailingKeys = trailingKeys;
  }

  /**
   * Queues one write; `args` are its script arguments, `value` the first of them.
   * @returns its entry of the script's reply; rejects when the call fails, or with a `ReplyError`
   *   when the script answered this write with an error message
   */
  add(recordKey: string, args: readonly string[]): Promise<unknown> {
    this.#keys.push(recordKey);
    for (const arg of args) this.#args.push(arg);
    this.#valueChars += args[0]!.length;
    return this.enqueue(this.#keys.length >= MAX_WRITES || this.#valueChars >= MAX_VALUE_CHARS);
  }

  protected send(): Promise<unknown> {
    const keys = this.#keys;
    const args = this.#args;
    for (const key of this.#trailingKeys) keys.push(key);
    this.#keys = [];
    this.#args = [];
    this.#valueChars = 0;
    return this.#run(keys, args);
  }

  protected reply(entry: unknown): unknown {
    return writeReply(entry);
  }
}

/**
 * One write's entry of the write script's reply: the new version, or minus the stored version on
 * a failed precondition.
 * @throws Error named `ReplyError` when the script answered it with an error message (the key
 *   holds something that is not a record; nothing was written)
 */
export function writeReply(entry: unknown): unknown {
  if (typeof entry !== 'string') return entry;
  const err = new Error(entry);
  err.name = 'ReplyError';
  throw err;
}
