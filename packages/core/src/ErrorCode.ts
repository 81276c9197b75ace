/**
 * Stable string codes carried by {@link AuthManagerError}. Match on these, never on messages.
 * `err.retryable` is true for the codes marked "retry" below ({@link RETRYABLE_CODES}): the same
 * call can succeed later without the user doing anything.
 *
 * | code | when |
 * | --- | --- |
 * | `PROVIDER_NOT_REGISTERED` | a provider id was used that no registered provider has |
 * | `PROVIDER_NOT_IN_SESSION` | a session opened with a `providers` filter was asked for another provider |
 * | `UNSUPPORTED_FLOW` | the provider has no such flow (for example no revocation endpoint) |
 * | `CONFIGURATION` | an app credential is missing or malformed; the message names the field and its env keys |
 * | `CREDENTIALS_NOT_FOUND` | no stored, session or static credential for (provider, subject) |
 * | `INVALID_STATE` | the callback is malformed, or its `state` is unknown, expired, already used, or from another provider (RFC 6749 §10.12), or its `iss` is missing or wrong (RFC 9207 §2.4) |
 * | `AUTHORIZATION_DENIED` | the authorization server redirected back with an `error` (RFC 6749 §4.1.2.1), e.g. `access_denied` |
 * | `TOKEN_EXCHANGE_FAILED` | the token endpoint rejected the authorization code grant (RFC 6749 §5.2) |
 * | `TOKEN_REFRESH_FAILED` | the token endpoint rejected a refresh for a reason other than `invalid_grant` |
 * | `REAUTHORIZATION_REQUIRED` | the refresh token is dead (`invalid_grant`) or absent: the user must connect again |
 * | `PROVIDER_UNAVAILABLE` | network failure, timeout, or HTTP 5xx from the provider (retry) |
 * | `RATE_LIMITED` | the provider answered HTTP 429; `retryAfterSeconds` carries its `Retry-After` (retry) |
 * | `INVALID_TOKEN_RESPONSE` | the provider's answer failed validation: ID token (signature, `azp`), missing or malformed fields, a body that is not JSON, over the size or nesting cap |
 * | `REVOCATION_FAILED` | the revocation endpoint rejected the request (RFC 7009 §2.2.1) |
 * | `INVALID_STORED_CREDENTIALS` | a stored record could not be decoded (corrupt, unknown codec version) |
 * | `ACCOUNT_MISMATCH` | storing a credential for a subject already connected to a different upstream account |
 * | `STORE_CONFLICT` | a compare-and-set write lost against another writer (retry: read again first) |
 * | `STORE_UNAVAILABLE` | the credential store could not be reached or failed (retry) |
 * | `LOCK_TIMEOUT` | a store's refresh lock could not be taken in time (retry) |
 * | `SESSION_CLOSED` | a disposed session was used |
 * | `DECRYPTION_FAILED` | an encrypted record failed authentication (tampered, moved to another key, rolled back) |
 * | `KEY_MANAGEMENT_FAILED` | the key-management service refused or failed (disabled key, throttling, access denied) |
 */
export const ErrorCode = {
  PROVIDER_NOT_REGISTERED: 'PROVIDER_NOT_REGISTERED',
  PROVIDER_NOT_IN_SESSION: 'PROVIDER_NOT_IN_SESSION',
  UNSUPPORTED_FLOW: 'UNSUPPORTED_FLOW',
  CONFIGURATION: 'CONFIGURATION',
  CREDENTIALS_NOT_FOUND: 'CREDENTIALS_NOT_FOUND',
  INVALID_STATE: 'INVALID_STATE',
  AUTHORIZATION_DENIED: 'AUTHORIZATION_DENIED',
  TOKEN_EXCHANGE_FAILED: 'TOKEN_EXCHANGE_FAILED',
  TOKEN_REFRESH_FAILED: 'TOKEN_REFRESH_FAILED',
  REAUTHORIZATION_REQUIRED: 'REAUTHORIZATION_REQUIRED',
  PROVIDER_UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  RATE_LIMITED: 'RATE_LIMITED',
  INVALID_TOKEN_RESPONSE: 'INVALID_TOKEN_RESPONSE',
  REVOCATION_FAILED: 'REVOCATION_FAILED',
  INVALID_STORED_CREDENTIALS: 'INVALID_STORED_CREDENTIALS',
  ACCOUNT_MISMATCH: 'ACCOUNT_MISMATCH',
  STORE_CONFLICT: 'STORE_CONFLICT',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  LOCK_TIMEOUT: 'LOCK_TIMEOUT',
  SESSION_CLOSED: 'SESSION_CLOSED',
  DECRYPTION_FAILED: 'DECRYPTION_FAILED',
  KEY_MANAGEMENT_FAILED: 'KEY_MANAGEMENT_FAILED',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The codes for which {@link AuthManagerError.retryable} is true. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.PROVIDER_UNAVAILABLE, ErrorCode.RATE_LIMITED, ErrorCode.STORE_CONFLICT,
  ErrorCode.STORE_UNAVAILABLE, ErrorCode.LOCK_TIMEOUT,
]);

/** Whether an error with this code can succeed when tried again later. */
export function isRetryable(code: ErrorCode): boolean {
  return RETRYABLE_CODES.has(code);
}
