import * as oauth from 'openid-client';
import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';

/** Which operation failed: decides the code of a provider's rejection. */
export type ProviderOperation = 'discovery' | 'exchange' | 'refresh' | 'revoke' | 'introspect' | 'api';

const REJECTION_CODE: Record<ProviderOperation, ErrorCode> = {
  discovery: ErrorCode.PROVIDER_UNAVAILABLE,
  exchange: ErrorCode.TOKEN_EXCHANGE_FAILED,
  refresh: ErrorCode.TOKEN_REFRESH_FAILED,
  revoke: ErrorCode.REVOCATION_FAILED,
  introspect: ErrorCode.PROVIDER_UNAVAILABLE,
  api: ErrorCode.PROVIDER_UNAVAILABLE,
};

/** Network-level failures: connection refused/reset, DNS, TLS, aborted by timeout. */
function isNetworkFailure(err: unknown): boolean {
  // Duck-typed, not `instanceof`: errors from undici or another realm (a test VM) are not this realm's Error.
  for (let e = err as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown } | undefined, depth = 0;
    typeof e === 'object' && e !== null && depth < 6; e = e.cause as typeof e, depth++) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'OAUTH_TIMEOUT') return true;
    if (e.name === 'TypeError' && typeof e.message === 'string' && /fetch failed|network|terminated/i.test(e.message)) return true;
    if (typeof e.code === 'string' && /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|UND_ERR)/.test(e.code)) return true;
  }
  return false;
}

/**
 * Maps whatever openid-client, fetch or a quirk hook threw into an {@link AuthManagerError}:
 * - HTTP 5xx, network failure, timeout → `PROVIDER_UNAVAILABLE`
 * - `invalid_grant` on refresh → `REAUTHORIZATION_REQUIRED` (RFC 6749 §5.2)
 * - another OAuth error response → the operation's code (`TOKEN_EXCHANGE_FAILED`, …) with `error`,
 *   `error_description`, `error_uri`
 * - a response that fails validation (ID token, state, issuer) → `INVALID_TOKEN_RESPONSE`
 *
 * Messages never include tokens: they are built from the error code and the provider's `error` fields.
 */
export function mapProviderError(err: unknown, provider: string, operation: ProviderOperation): AuthManagerError {
  // A quirk hook's own typed error arrives wrapped by openid-client: find it in the cause chain.
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (AuthManagerError.is(e)) return e;
  }
  const what = `${provider} ${operation}`;
  if (err instanceof oauth.ResponseBodyError) {
    const oauthFields = {
      error: err.error,
      ...(err.error_description !== undefined ? { error_description: err.error_description } : {}),
      ...(typeof err.cause.error_uri === 'string' ? { error_uri: err.cause.error_uri } : {}),
    };
    const base = { cause: err, provider, status: err.status, oauth: oauthFields };
    if (err.status >= 500) {
      return new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${what}: provider answered HTTP ${err.status} (${err.error})`, base);
    }
    if (operation === 'refresh' && err.error === 'invalid_grant') {
      return new AuthManagerError(ErrorCode.REAUTHORIZATION_REQUIRED, `${what}: refresh token rejected (invalid_grant); the user must connect again`, base);
    }
    return new AuthManagerError(REJECTION_CODE[operation], `${what} failed: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`, base);
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const params = err.cause[0]?.parameters ?? {};
    const error = params.error ?? 'invalid_client';
    const code = err.status >= 500 ? ErrorCode.PROVIDER_UNAVAILABLE : REJECTION_CODE[operation];
    return new AuthManagerError(code, `${what} failed: HTTP ${err.status} ${error}`, {
      cause: err, provider, status: err.status,
      oauth: { error, ...(params.error_description ? { error_description: params.error_description } : {}) },
    });
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return new AuthManagerError(ErrorCode.AUTHORIZATION_DENIED, `${provider}: authorization failed: ${err.error}`, {
      cause: err, provider, oauth: { error: err.error, ...(err.error_description ? { error_description: err.error_description } : {}) },
    });
  }
  if (isNetworkFailure(err)) {
    return new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${what}: provider unreachable or timed out`, { cause: err, provider });
  }
  const cause = (err as { cause?: { status?: unknown; headers?: unknown } } | undefined)?.cause;
  if (typeof cause === 'object' && cause !== null && typeof cause.status === 'number' && typeof cause.headers === 'object') {
    const code = cause.status >= 500 ? ErrorCode.PROVIDER_UNAVAILABLE : REJECTION_CODE[operation];
    return new AuthManagerError(code, `${what}: unexpected HTTP ${cause.status} response`, { cause: err, provider, status: cause.status });
  }
  const oauthCode = (err as { code?: unknown } | undefined)?.code;
  if (typeof oauthCode === 'string' && oauthCode.startsWith('OAUTH_')) {
    return new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${what}: response failed validation (${oauthCode})`, { cause: err, provider });
  }
  return new AuthManagerError(REJECTION_CODE[operation], `${what} failed`, { cause: err, provider });
}
