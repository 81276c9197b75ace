/**
 * At most one run of an async operation per key at a time: callers that ask while one is in flight
 * get its promise. Used for refreshes (the refresh coordinator, sessions' own credentials), minted
 * tokens (GitHub installation tokens, Google service accounts) and data-key loads (the KMS store).
 *
 * With `failureCooldownMs`, a key whose run failed keeps failing with the same error, without
 * running, for that long (in this process): a dead upstream is asked once per window, not once per
 * caller. (Stored credentials have a cooldown every process sees, kept with the record by the
 * refresh coordinator.)
 *
 * @typeParam K - the key (any `Map` key)
 * @typeParam V - what a run resolves to
 * @example
 * ```ts
 * const tokens = new SingleFlight<string, string>();
 * const token = await tokens.run(installationId, () => mintInstallationToken(installationId));
 * ```
 */
export class SingleFlight<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();
  readonly #failures: Map<K, { readonly error: unknown; readonly untilMs: number }> | undefined;
  readonly #cooldownMs: number;
  readonly #now: () => number;

  /**
   * @param options.failureCooldownMs - after a failed run, fail the key's calls with its error for
   *   this long, milliseconds. @default 0 (off)
   * @param options.now - clock, epoch milliseconds. @default Date.now
   */
  constructor(options: { readonly failureCooldownMs?: number; readonly now?: () => number } = {}) {
    this.#cooldownMs = options.failureCooldownMs ?? 0;
    this.#now = options.now ?? Date.now;
    this.#failures = this.#cooldownMs > 0 ? new Map() : undefined;
  }

  /**
   * The in-flight run of `key`, or a new one of `fn`.
   * @throws what `fn` throws (to every caller sharing the run), or, in the cooldown, the last error
   */
  run(key: K, fn: () => Promise<V>): Promise<V> {
    const flight = this.#inFlight.get(key);
    if (flight !== undefined) return flight;
    const failure = this.#failures?.get(key);
    if (failure !== undefined) {
      if (failure.untilMs > this.#now()) return Promise.reject(failure.error);
      this.#failures!.delete(key);
    }
    let started: Promise<V>;
    try {
      started = fn();
    } catch (err) {
      started = Promise.reject(err);
    }
    const done = started.then(
      (value) => { this.#settle(key, done); return value; },
      (error: unknown) => {
        this.#settle(key, done);
        this.#failures?.set(key, { error, untilMs: this.#now() + this.#cooldownMs });
        throw error;
      },
    );
    this.#inFlight.set(key, done);
    return done;
  }

  /** The run in flight for `key`, if any (to join it without starting one). */
  inFlight(key: K): Promise<V> | undefined {
    return this.#inFlight.get(key);
  }

  /** Forgets `key`'s failure cooldown (after the cause was fixed: a new login, new configuration). */
  forgetFailure(key: K): void {
    this.#failures?.delete(key);
  }

  #settle(key: K, flight: Promise<V>): void {
    if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key);
  }
}
