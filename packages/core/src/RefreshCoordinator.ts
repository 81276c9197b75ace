import { AuthManagerError } from './AuthManagerError.js';
import type { Credentials } from './Credentials.js';
import type { CredentialRepository, LoadedCredentials } from './CredentialRepository.js';
import type { Span } from '@opentelemetry/api';
import type { LockOptions, StoreLock } from './CredentialStore.js';
import { ErrorCode } from './ErrorCode.js';
import { SingleFlight } from './SingleFlight.js';
import { TelemetryAttributes, outcomeOf, type Telemetry } from './Telemetry.js';

/** Performs one refresh token grant (no storage). */
export type RefreshGrant = (credentials: Credentials<object>) => Promise<Credentials<object>>;

/** What {@link RefreshCoordinatorOptions.onUnpersistedCredential} is given. */
export interface UnpersistedCredential {
  readonly provider: string;
  readonly subject: string;
  /** The refreshed credential that could not be written. A secret: keep it safe, never log it. */
  readonly credentials: Credentials<object>;
  /** The last store error (`STORE_UNAVAILABLE`, or a store's own code). */
  readonly error: AuthManagerError;
}

/** What the coordinator reports to the manager's event hub (which adds the account and time). */
export interface CoordinatorEvent {
  readonly type: 'refreshed' | 'recovered' | 'refreshFailed' | 'reauthorizationRequired';
  readonly provider: string;
  readonly subject: string;
  /** For the account lookup; never passed on to listeners. */
  readonly credentials: Credentials<object>;
  readonly code?: ErrorCode;
}

/** Options of {@link RefreshCoordinator}. */
export interface RefreshCoordinatorOptions {
  readonly lock: LockOptions;
  readonly skewMs: number;
  /** Manager clock, epoch milliseconds (expiry checks). */
  readonly now: () => number;
  /** How long a refreshed credential's write is retried through a store outage, milliseconds. */
  readonly writeRetryMs: number;
  /** After a refused refresh (`invalid_grant`), no refresh is tried for this long, milliseconds; other failures back off up to it. */
  readonly cooldownMs: number;
  /** Spans and metrics (no-op without an OpenTelemetry SDK). */
  readonly telemetry?: Telemetry;
  /** Receives refresh outcomes (a throwing listener is ignored). */
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /** Called with a refreshed credential whose write failed for `writeRetryMs`. */
  readonly onUnpersistedCredential?: (event: UnpersistedCredential) => void | Promise<void>;
}

/**
 * One {@link SingleFlight} per provider, keyed by subject: no key string is built per lookup, which
 * matters when ten thousand callers look up one record at once.
 */
class PerRecord<V> {
  readonly #byProvider = new Map<string, SingleFlight<string, V>>();

  of(provider: string): SingleFlight<string, V> {
    let flights = this.#byProvider.get(provider);
    if (flights === undefined) this.#byProvider.set(provider, (flights = new SingleFlight()));
    return flights;
  }
}

const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 2_000;
/** Compare-and-set rounds lost to other writers before giving up (each re-reads first). */
const MAX_CONFLICTS = 5;

/**
 * Refreshes stored credentials at most once at a time per (provider, subject):
 * - in this process, concurrent callers share one in-flight promise (single-flight);
 * - across processes, when the store has a `lock`, the refresher takes it, re-reads the record and
 *   skips the refresh if another process already did it; a `LOCK_TIMEOUT` re-reads too, since the
 *   holder may have refreshed meanwhile;
 * - the new credential is written (compare-and-set on the version read) before any caller gets it;
 * - a failed refresh writes nothing: the stored credential stays exactly as it was;
 * - a successful refresh is never thrown away while it can still be stored: the provider may already
 *   have invalidated the old refresh token (rotation), so a failed write is retried for
 *   `writeRetryMs` (renewing the lock), and past that the credential goes to `onUnpersistedCredential`.
 */
export class RefreshCoordinator {
  readonly #repository: CredentialRepository;
  readonly #inFlight = new PerRecord<Credentials<object>>();
  /** The store read shared by concurrent {@link RefreshCoordinator.loadValid} callers, per provider then subject. */
  readonly #loading = new Map<string, Map<string, Promise<Credentials<object> | undefined>>>();
  readonly #options: RefreshCoordinatorOptions;

  constructor(repository: CredentialRepository, options: RefreshCoordinatorOptions) {
    this.#repository = repository;
    this.#options = options;
  }

  /**
   * Refreshes (provider, subject)'s stored credentials unless someone already replaced `stale`.
   * @param stale - the credentials the caller found expired or rejected (HTTP 401)
   * @param grant - the provider's refresh token grant
   * @throws AuthManagerError `CREDENTIALS_NOT_FOUND` (deleted meanwhile) | `REAUTHORIZATION_REQUIRED` |
   *   `TOKEN_REFRESH_FAILED` | `PROVIDER_UNAVAILABLE` | `RATE_LIMITED` | `LOCK_TIMEOUT` |
   *   `STORE_UNAVAILABLE` (for a refreshed credential: only after `writeRetryMs`, and the message says
   *   whether `onUnpersistedCredential` received it)
   */
  refresh(provider: string, subject: string, stale: Credentials<object>, grant: RefreshGrant): Promise<Credentials<object>> {
    // A connection in its cooldown fails before any lock or store call (every process sees the state).
    try { this.#failFast(provider, stale); } catch (err) { return Promise.reject(err as Error); }
    return this.#inFlight.of(provider).run(subject, () => this.#traced(provider, subject, stale, grant));
  }

  /**
   * (provider, subject)'s stored credentials, valid for at least the skew: one store read shared by
   * every concurrent caller, and when the record needs a refresh, the refresh is started by that one
   * read's continuation (so 10,000 callers on an expired credential start it as soon as the record is
   * in, not after each of them has run) and everyone waits for the same result. A refresh already in
   * flight is joined without reading at all.
   * @param grant - the provider's refresh token grant, called only if a refresh is needed
   * @returns the credentials, or `undefined` when none are stored
   * @throws AuthManagerError `INVALID_STORED_CREDENTIALS` | `STORE_UNAVAILABLE` | `DECRYPTION_FAILED`,
   *   and the errors of {@link RefreshCoordinator.refresh}
   */
  loadValid(provider: string, subject: string, grant: RefreshGrant): Promise<Credentials<object> | undefined> {
    const flight = this.#inFlight.of(provider).inFlight(subject);
    if (flight !== undefined) return flight;
    // The shared read by hand rather than through SingleFlight.run: its extra reaction and closures
    // are a measurable share of a session's first read, which every request makes.
    const reads = this.#readsOf(provider);
    const shared = reads.get(subject);
    if (shared !== undefined) return shared;
    let read: Promise<LoadedCredentials | undefined>;
    try {
      read = this.#repository.load(provider, subject);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const done = read.then((loaded) => {
      if (reads.get(subject) === done) reads.delete(subject);
      const current = loaded?.credentials;
      if (current === undefined || !current.needsRefresh(this.#options.skewMs, this.#options.now())) return current;
      return this.refresh(provider, subject, current, grant);
    }, (err: unknown) => {
      if (reads.get(subject) === done) reads.delete(subject);
      throw err;
    });
    reads.set(subject, done);
    return done;
  }

  /** The shared reads of `provider`'s records, by subject. */
  #readsOf(provider: string): Map<string, Promise<Credentials<object> | undefined>> {
    let reads = this.#loading.get(provider);
    if (reads === undefined) this.#loading.set(provider, (reads = new Map()));
    return reads;
  }

  /**
   * The promise {@link RefreshCoordinator.loadValid} currently shares for (provider, subject): its
   * store read, or the refresh in flight; `undefined` when neither is. A caller that kept a promise
   * from `loadValid` knows it is still pending while this returns it.
   */
  pendingRead(provider: string, subject: string): Promise<Credentials<object> | undefined> | undefined {
    return this.#loading.get(provider)?.get(subject) ?? this.#inFlight.of(provider).inFlight(subject);
  }

  /**
   * Throws the connection's last error while it is in its cooldown (`retryAtMs` in the future), so a
   * dead refresh token costs one token request per cooldown window, not one per caller.
   * @throws AuthManagerError `REAUTHORIZATION_REQUIRED`, or the last refresh's retryable code with
   *   `retryAfterSeconds`
   */
  #failFast(provider: string, credentials: Credentials<object>): void {
    const state = credentials.connection;
    if (state === undefined || state.status === 'active' || state.retryAtMs === undefined) return;
    const waitMs = state.retryAtMs - this.#options.now();
    if (waitMs <= 0) return;
    const retryAfterSeconds = Math.ceil(waitMs / 1000);
    if (state.status === 'reauthorization_required' || state.status === 'revoked') {
      throw new AuthManagerError(ErrorCode.REAUTHORIZATION_REQUIRED,
        `${provider}: the refresh token was refused (invalid_grant); the user must connect again (not retried for ${retryAfterSeconds} s)`, { provider });
    }
    const code = state.lastErrorCode ?? ErrorCode.PROVIDER_UNAVAILABLE;
    throw new AuthManagerError(code, `${provider}: the last refresh failed (${code}); not retried for ${retryAfterSeconds} s`, { provider, retryAfterSeconds });
  }

  /**
   * Persists a failed refresh's state with the tokens unchanged (best effort: a failed write leaves
   * the record as it was), with the cooldown: `invalid_grant` waits `cooldownMs`, other failures back
   * off from 1 s, doubling, up to `cooldownMs` (or the provider's `Retry-After` when longer).
   */
  async #recordFailure(provider: string, subject: string, current: Credentials<object>, version: number, err: unknown): Promise<void> {
    if (!AuthManagerError.is(err)) return;
    const before = current.connection;
    const failureCount = (before?.status === 'active' || before === undefined ? 0 : (before.failureCount ?? 0)) + 1;
    const dead = err.code === ErrorCode.REAUTHORIZATION_REQUIRED;
    const backoffMs = dead ? this.#options.cooldownMs
      : Math.max(Math.min(1000 * 2 ** (failureCount - 1), this.#options.cooldownMs), (err.retryAfterSeconds ?? 0) * 1000);
    const connection = {
      status: dead ? 'reauthorization_required' : 'refresh_failed', lastErrorCode: err.code, failureCount,
      retryAtMs: this.#options.now() + backoffMs,
      ...(before?.connectedAtMs !== undefined ? { connectedAtMs: before.connectedAtMs } : {}),
      ...(before?.lastRefreshedAtMs !== undefined ? { lastRefreshedAtMs: before.lastRefreshedAtMs } : {}),
    } as const;
    await this.#repository.save(provider, subject, current.with({ connection }), version).catch(() => undefined);
    this.#emit({ type: dead ? 'reauthorizationRequired' : 'refreshFailed', provider, subject, credentials: current, code: err.code });
  }

  #emit(event: CoordinatorEvent): void {
    try { this.#options.onEvent?.(event); } catch { /* a listener never breaks a refresh */ }
  }

  /** Whether `current` is a credential someone else refreshed after the caller saw `stale`. */
  #replaced(current: Credentials<object>, stale: Credentials<object>): boolean {
    return current.accessToken !== stale.accessToken && !current.needsRefresh(this.#options.skewMs, this.#options.now());
  }

  /** {@link RefreshCoordinator.#run} in an `authmanager.refresh` span, with the refresh metrics. */
  async #traced(provider: string, subject: string, stale: Credentials<object>, grant: RefreshGrant): Promise<Credentials<object>> {
    const telemetry = this.#options.telemetry;
    if (!telemetry) return this.#run(provider, subject, stale, grant);
    const started = performance.now();
    try {
      const fresh = await telemetry.span('authmanager.refresh', () => ({ [TelemetryAttributes.PROVIDER]: provider }), (span) => this.#run(provider, subject, stale, grant, span));
      telemetry.refreshed(provider, 'ok', performance.now() - started);
      return fresh;
    } catch (err) {
      telemetry.refreshed(provider, outcomeOf(err), performance.now() - started);
      throw err;
    }
  }

  async #run(provider: string, subject: string, stale: Credentials<object>, grant: RefreshGrant, span?: Span): Promise<Credentials<object>> {
    const store = this.#repository.store;
    const lockStarted = performance.now();
    const lockWaited = () => {
      const waitMs = performance.now() - lockStarted;
      span?.setAttribute(TelemetryAttributes.LOCK_WAIT_MS, Math.round(waitMs));
      this.#options.telemetry?.lockWaited(provider, waitMs);
    };
    let lock: StoreLock | undefined;
    if (store.lock) {
      const key = this.#repository.key(provider, subject);
      if (store.lockReleased) {
        // Another process may be refreshing: try once, and if the lock is held, wait to be woken by
        // its release and read what it stored, taking the lock only if the record is still stale.
        try {
          lock = await store.lock(key, { ttlMs: this.#options.lock.ttlMs, waitMs: 0 });
        } catch (err) {
          if (!AuthManagerError.is(err, ErrorCode.LOCK_TIMEOUT)) throw err;
          await store.lockReleased(key, Math.min(this.#options.lock.waitMs, this.#options.lock.ttlMs));
          const now = await this.#repository.load(provider, subject);
          if (now && this.#replaced(now.credentials, stale)) return now.credentials;
        }
      }
    }
    if (store.lock && lock === undefined) {
      try {
        lock = await store.lock(this.#repository.key(provider, subject), this.#options.lock);
      } catch (err) {
        if (!AuthManagerError.is(err, ErrorCode.LOCK_TIMEOUT)) throw err;
        // The holder may well have refreshed while we waited.
        const now = await this.#repository.load(provider, subject);
        if (now && this.#replaced(now.credentials, stale)) return now.credentials;
        throw err;
      }
    }
    if (store.lock) lockWaited();
    try {
      const loaded = await this.#repository.load(provider, subject);
      if (!loaded) {
        throw new AuthManagerError(ErrorCode.CREDENTIALS_NOT_FOUND, `No stored ${provider} credentials for this subject (deleted while refreshing?)`, { provider });
      }
      const current = loaded.credentials;
      if (this.#replaced(current, stale)) return current; // another caller or process refreshed already
      this.#failFast(provider, current);
      let granted: Credentials<object>;
      try {
        granted = await grant(current);
      } catch (err) {
        await this.#recordFailure(provider, subject, current, loaded.version, err);
        throw err;
      }
      const before = current.connection;
      const fresh = granted.with({
        connection: {
          status: 'active', lastRefreshedAtMs: this.#options.now(),
          ...(before?.connectedAtMs !== undefined ? { connectedAtMs: before.connectedAtMs } : {}),
        },
      });
      const stored = await this.#persist(provider, subject, fresh, loaded.version, lock);
      this.#emit({ type: 'refreshed', provider, subject, credentials: stored });
      if (before !== undefined && before.status !== 'active') this.#emit({ type: 'recovered', provider, subject, credentials: stored });
      return stored;
    } finally {
      // Best effort: the lock expires by itself, and a failed release must not hide the result.
      await lock?.release().catch(() => undefined);
    }
  }

  /**
   * Writes a refreshed credential, compare-and-set on the version it was refreshed from, retrying
   * through store outages for `writeRetryMs` while renewing the lock.
   * @returns the credential to hand out: ours, or a valid one another writer stored meanwhile
   */
  async #persist(provider: string, subject: string, fresh: Credentials<object>, version: number, lock: StoreLock | undefined): Promise<Credentials<object>> {
    const deadline = performance.now() + this.#options.writeRetryMs;
    let ifVersion: number | null = version;
    let delayMs = FIRST_RETRY_DELAY_MS;
    let conflicts = 0;
    let lastError: AuthManagerError;
    for (;;) {
      try {
        await this.#repository.save(provider, subject, fresh, ifVersion);
        return fresh;
      } catch (err) {
        if (AuthManagerError.is(err, ErrorCode.STORE_CONFLICT) && conflicts++ < MAX_CONFLICTS) {
          // Someone wrote between our read and our write (a store without a lock, or our own write
          // that applied before its reply was lost). Prefer a valid record there; otherwise ours is the
          // newest grant: write it over theirs.
          try {
            const now = await this.#repository.load(provider, subject);
            if (now && !now.credentials.needsRefresh(this.#options.skewMs, this.#options.now())) return now.credentials;
            ifVersion = now ? now.version : null;
            continue;
          } catch (readErr) {
            err = readErr;
          }
        }
        if (!AuthManagerError.is(err) || !err.retryable || err.code === ErrorCode.STORE_CONFLICT) throw err;
        lastError = err;
      }
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, leftMs)));
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
      // Keep other processes from refreshing with the refresh token we may have just used up.
      await lock?.renew?.().catch(() => false);
    }
    const hook = this.#options.onUnpersistedCredential;
    let handed = false;
    if (hook) {
      try { await hook({ provider, subject, credentials: fresh, error: lastError }); handed = true; } catch { /* reported below */ }
    }
    throw new AuthManagerError(ErrorCode.STORE_UNAVAILABLE,
      `${provider}: the refreshed credential could not be stored for ${this.#options.writeRetryMs} ms (refreshWriteRetryMs); ` +
      (handed ? 'it was handed to onUnpersistedCredential' : hook ? 'onUnpersistedCredential threw, so it is lost' : 'no onUnpersistedCredential hook is set, so it is lost and the user may have to connect again'),
      { cause: lastError, provider });
  }
}
