/** A call waiting in a {@link TickBatch}. */
interface Waiter<R> {
  readonly resolve: (reply: R) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Calls of one store made in the same tick, queued to go to Redis as one command (internal): the
 * shared part of {@link WriteBatch} and {@link ReadBatch}. The batch goes out in a microtask after
 * its first call, at once when the subclass says it is full, or when the store is about to send
 * any other command ({@link TickBatch.flush}), so the store's commands reach Redis in the order
 * they were made. A command that fails fails every call in it.
 */
export abstract class TickBatch<R> {
  #waiters: Waiter<R>[] = [];
  #scheduled = false;
  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /**
   * Sends what is queued as one command and empties the queue.
   * @returns one reply entry per queued call, in order
   */
  protected abstract send(): Promise<unknown>;

  /**
   * One call's result from its entry of the reply.
   * @throws what that call rejects with (the entry says the call failed)
   */
  protected abstract reply(entry: unknown): R;

  /**
   * Queues one call, whose arguments the subclass has just added to its queue.
   * @param full - whether the batch is now full (then it goes out at once)
   */
  protected enqueue(full: boolean): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (full) {
        this.flush();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(this.#flushSoon);
      }
    });
  }

  /** Sends the queued calls now (nothing when none is queued). */
  flush(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    let sending: Promise<unknown>;
    try {
      sending = this.send();
    } catch (err) {
      sending = Promise.reject(err);
    }
    sending.then(
      (replies) => {
        const entries = replies as unknown[];
        for (let i = 0; i < waiters.length; i++) {
          try {
            waiters[i]!.resolve(this.reply(entries[i]));
          } catch (err) {
            waiters[i]!.reject(err);
          }
        }
      },
      (err: unknown) => { for (const waiter of waiters) waiter.reject(err); },
    );
  }
}
