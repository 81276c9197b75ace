import { AuthManagerError } from './AuthManagerError.js';
import type { Credentials } from './Credentials.js';
import type { CredentialRepository } from './CredentialRepository.js';
import { recordKeyId, type LockOptions } from './CredentialStore.js';
import { ErrorCode } from './ErrorCode.js';

/** Performs one refresh token grant (no storage). */
export type RefreshGrant = (credentials: Credentials<object>) => Promise<Credentials<object>>;

/**
 * Refreshes stored credentials at most once at a time per (provider, subject):
 * - in this process, concurrent callers share one in-flight promise (single-flight);
 * - across processes, when the store has a `lock`, the refresher takes it, re-reads the record and
 *   skips the refresh if another process already did it;
 * - the new credential is written (compare-and-set on the version read) before any caller gets it;
 * - a failed refresh writes nothing: the stored credential stays exactly as it was.
 */
export class RefreshCoordinator {
  readonly #repository: CredentialRepository;
  readonly #inFlight = new Map<string, Promise<Credentials<object>>>();
  readonly #lock: LockOptions;
  readonly #skewMs: number;
  readonly #now: () => number;

  constructor(repository: CredentialRepository, options: { lock: LockOptions; skewMs: number; now: () => number }) {
    this.#repository = repository;
    this.#lock = options.lock;
    this.#skewMs = options.skewMs;
    this.#now = options.now;
  }

  /**
   * Refreshes (provider, subject)'s stored credentials unless someone already replaced `stale`.
   * @param stale - the credentials the caller found expired or rejected (HTTP 401)
   * @param grant - the provider's refresh token grant
   * @throws AuthManagerError `CREDENTIALS_NOT_FOUND` (deleted meanwhile) | `REAUTHORIZATION_REQUIRED` |
   *   `TOKEN_REFRESH_FAILED` | `PROVIDER_UNAVAILABLE` | `LOCK_TIMEOUT` | `STORE_UNAVAILABLE`
   */
  refresh(provider: string, subject: string, stale: Credentials<object>, grant: RefreshGrant): Promise<Credentials<object>> {
    const id = recordKeyId(this.#repository.key(provider, subject));
    let flight = this.#inFlight.get(id);
    if (flight === undefined) {
      flight = this.#run(provider, subject, stale, grant).finally(() => this.#inFlight.delete(id));
      this.#inFlight.set(id, flight);
    }
    return flight;
  }

  async #run(provider: string, subject: string, stale: Credentials<object>, grant: RefreshGrant): Promise<Credentials<object>> {
    const store = this.#repository.store;
    const lock = store.lock ? await store.lock(this.#repository.key(provider, subject), this.#lock) : undefined;
    try {
      const loaded = await this.#repository.load(provider, subject);
      if (!loaded) {
        throw new AuthManagerError(ErrorCode.CREDENTIALS_NOT_FOUND, `No stored ${provider} credentials for this subject (deleted while refreshing?)`, { provider });
      }
      const current = loaded.credentials;
      if (current.accessToken !== stale.accessToken && !current.expiresWithin(this.#skewMs, this.#now())) {
        return current; // another caller or process refreshed already
      }
      const fresh = await grant(current);
      try {
        await this.#repository.save(provider, subject, fresh, loaded.version);
      } catch (err) {
        if (!AuthManagerError.is(err, ErrorCode.STORE_CONFLICT)) throw err;
        // Someone wrote between our read and our write (a store without a lock). Prefer a valid
        // record they wrote; otherwise ours is the newest grant: write it over theirs.
        const now = await this.#repository.load(provider, subject);
        if (now && !now.credentials.expiresWithin(this.#skewMs, this.#now())) return now.credentials;
        await this.#repository.save(provider, subject, fresh, now ? now.version : null);
      }
      return fresh;
    } finally {
      await lock?.release();
    }
  }
}
