import { setTimeout as sleep } from 'node:timers/promises';
import { AuthManagerError } from './AuthManagerError.js';
import type { CredentialStore, LockOptions, RecordKey } from './CredentialStore.js';
import { ErrorCode } from './ErrorCode.js';

/**
 * For store implementations of {@link CredentialStore.lock}: checks `options`, then calls
 * `attempt` until it takes the lock or `options.waitMs` milliseconds have passed, pausing between
 * attempts for a jittered delay (half to all of it) that starts at `retryDelayMs` and doubles up
 * to `max(200, retryDelayMs)` milliseconds, never past the deadline. The Redis and SQL stores
 * share it.
 * @param key - the record whose lock is taken (named in the `LOCK_TIMEOUT` message)
 * @param retryDelayMs - the first pause, milliseconds
 * @param attempt - one try at taking the lock: `true` when it was taken
 * @throws RangeError when `ttlMs` is not a positive number or `waitMs` is negative (before any attempt)
 * @throws AuthManagerError `LOCK_TIMEOUT` when the lock is still held by another owner after
 *   `waitMs`; whatever `attempt` throws
 */
export async function retryLock(key: RecordKey, options: LockOptions, retryDelayMs: number, attempt: () => Promise<boolean>): Promise<void> {
  const { ttlMs, waitMs } = options;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive number of milliseconds');
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new RangeError('waitMs must be a non-negative number of milliseconds');
  const deadline = Date.now() + waitMs;
  const maxDelayMs = Math.max(200, retryDelayMs);
  let delayMs = retryDelayMs;
  while (!(await attempt())) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      throw new AuthManagerError(ErrorCode.LOCK_TIMEOUT,
        `Lock on ${key.kind} record for provider "${key.provider}" still held by another owner after ${waitMs} ms`,
        { provider: key.provider });
    }
    await sleep(Math.min(remainingMs, delayMs * (0.5 + Math.random() / 2)));
    delayMs = Math.min(maxDelayMs, delayMs * 2);
  }
}
