/** A call being watched: what {@link CallDeadlines.watch} needs to fail it at its deadline. */
interface Watched<C> {
  /** `performance.now()` at which the call fails. */
  readonly atMs: number;
  readonly fail: (err: unknown) => void;
  /** Passed to the `timedOut` callback, to build the error. */
  readonly context: C;
  settled: boolean;
}

/** Entries of settled calls at the front of the queue after which the queue is compacted. */
const COMPACT_AFTER = 1024;

/**
 * The per-call deadlines of one store (internal): every call fails `timeoutMs` after it was
 * made unless it has settled by then. All calls of one store have the same timeout, so their
 * deadlines come in the order of the calls: they wait in a FIFO queue, and one timer, armed for
 * the oldest unsettled call, serves all of them (instead of a `setTimeout` and a `clearTimeout`
 * per call, the hot path of every `get` and `set`). A settled call is only marked; the front of
 * the queue is dropped as calls settle (replies of one connection come in order), and the timer
 * is cleared when no call is waiting, so it never keeps the process alive by itself.
 */
export class CallDeadlines<C> {
  readonly #timeoutMs: number;
  readonly #timedOut: (context: C, timeoutMs: number) => unknown;
  #queue: Watched<C>[] = [];
  /** Index of the oldest entry that may still be unsettled. */
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param timeoutMs - deadline of every call in milliseconds from the call (> 0)
   * @param timedOut - the rejection reason of a call that reached its deadline, from the `context`
   *   it was watched with
   */
  constructor(timeoutMs: number, timedOut: (context: C, timeoutMs: number) => unknown) {
    this.#timeoutMs = timeoutMs;
    this.#timedOut = timedOut;
  }

  /**
   * `pending`, or a rejection with `timedOut(context)` when it has not settled `timeoutMs` from
   * now; a rejection of `pending` becomes `failed(err, context)`. A late result of `pending` is
   * ignored.
   */
  watch<T>(pending: Promise<T>, context: C, failed: (err: unknown, context: C) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Watched<C> = { atMs: performance.now() + this.#timeoutMs, fail: reject, context, settled: false };
      this.#queue.push(entry);
      if (this.#timer === undefined) this.#arm(this.#timeoutMs);
      pending.then(
        (value) => { this.#settle(entry); resolve(value); },
        (err: unknown) => { this.#settle(entry); reject(failed(err, context)); },
      );
    });
  }

  #settle(entry: Watched<C>): void {
    entry.settled = true;
    const queue = this.#queue;
    let head = this.#head;
    while (head < queue.length && queue[head]!.settled) head += 1;
    if (head === queue.length) {
      // Nothing waits: an empty queue and no timer.
      queue.length = 0;
      this.#head = 0;
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      return;
    }
    if (head >= COMPACT_AFTER && head * 2 >= queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    this.#head = head;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(delayMs)));
  }

  /** The timer: fails every unsettled call past its deadline, then re-arms for the oldest one left. */
  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const queue = this.#queue;
    let head = this.#head;
    for (; head < queue.length; head += 1) {
      const entry = queue[head]!;
      if (entry.settled) continue;
      if (entry.atMs > now) break;
      entry.settled = true;
      entry.fail(this.#timedOut(entry.context, this.#timeoutMs));
    }
    if (head === queue.length) {
      queue.length = 0;
      this.#head = 0;
      return;
    }
    queue.splice(0, head);
    this.#head = 0;
    this.#arm(queue[0]!.atMs - now);
  }
}
