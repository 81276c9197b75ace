import type { ErrorCode } from './ErrorCode.js';

/**
 * How a connection stands, as every process sees it (persisted with the credential):
 * - `active`: the last exchange or refresh worked;
 * - `refresh_failed`: the last refresh failed for a reason that may pass (network, HTTP 5xx, 429, a
 *   refused request); refreshes are retried with backoff, and callers fail fast until `retryAt`;
 * - `reauthorization_required`: the refresh token is dead (`invalid_grant`, expired or revoked); callers
 *   fail fast with `REAUTHORIZATION_REQUIRED` and no provider call, and one refresh is tried again per
 *   cooldown window, until the user connects again;
 * - `revoked`: the grant was revoked at the provider (kept only where a record outlives `disconnect`).
 */
export type ConnectionStatus = 'active' | 'refresh_failed' | 'reauthorization_required' | 'revoked';

/** The persisted state of a connection, beside its tokens. Epoch milliseconds throughout. */
export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** The code of the last failed refresh, while `status` is not `active`. */
  readonly lastErrorCode?: ErrorCode;
  /** When the connection was made (the authorization code exchange, or `storeCredentials`). */
  readonly connectedAtMs?: number;
  /** When its access token was last refreshed. */
  readonly lastRefreshedAtMs?: number;
  /** Consecutive failed refreshes. */
  readonly failureCount?: number;
  /** No refresh is tried, and callers fail fast, before this time (the cooldown). */
  readonly retryAtMs?: number;
}

const STATUSES = new Set<ConnectionStatus>(['active', 'refresh_failed', 'reauthorization_required', 'revoked']);

/** Whether `value` is a {@link ConnectionStatus}. */
export function isConnectionStatus(value: unknown): value is ConnectionStatus {
  return typeof value === 'string' && STATUSES.has(value as ConnectionStatus);
}
