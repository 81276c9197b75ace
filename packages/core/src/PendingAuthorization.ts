import { createHash } from 'node:crypto';
import { AuthManagerError } from './AuthManagerError.js';
import type { RecordKey } from './CredentialStore.js';
import { ErrorCode } from './ErrorCode.js';

/**
 * What `authorize` remembers until the callback: stored under the SHA-256 of `state`, consumed
 * once by `exchange`. Holds the PKCE `code_verifier` (RFC 7636 §4.1), so it is as secret as a token.
 */
export interface PendingAuthorization {
  readonly provider: string;
  readonly subject: string;
  /** RFC 7636 `code_verifier`, when PKCE is used. */
  readonly codeVerifier?: string;
  /** OpenID Connect `nonce`, when an ID token is expected. */
  readonly nonce?: string;
  /** The `redirect_uri` sent in the authorization request (RFC 6749 §4.1.3 requires the same one). */
  readonly redirectUri: string;
  /** Scopes requested. */
  readonly scopes: readonly string[];
  /** Epoch milliseconds after which the state is refused. */
  readonly expiresAtMs: number;
  /** The connection label, when not `'default'`. */
  readonly connection?: string;
  /** Per-tenant URL variables given to `authorize`, already checked. */
  readonly connectionConfig?: Readonly<Record<string, string>>;
}

/** The store key of the pending authorization for `state`. */
export function pendingKey(state: string): RecordKey {
  return { kind: 'pending', provider: '*', subject: createHash('sha256').update(state).digest('hex') };
}

/** Serializes a pending authorization (format 1, JSON). */
export function encodePending(p: PendingAuthorization): string {
  return JSON.stringify({ v: 1, ...p });
}

/**
 * Parses a pending authorization.
 * @throws AuthManagerError `INVALID_STATE` when the record is not one (fields missing or of the
 *   wrong type, a redirect URI that is not an absolute URL)
 */
export function decodePending(value: string): PendingAuthorization {
  let o: (PendingAuthorization & { v?: unknown }) | undefined;
  try { o = JSON.parse(value) as PendingAuthorization & { v?: unknown }; } catch { o = undefined; }
  if (typeof o === 'object' && o !== null && o.v === 1 && typeof o.provider === 'string' && typeof o.subject === 'string' &&
      typeof o.redirectUri === 'string' && URL.canParse(o.redirectUri) && typeof o.expiresAtMs === 'number' &&
      Array.isArray(o.scopes) && o.scopes.every((s) => typeof s === 'string') &&
      (o.codeVerifier === undefined || typeof o.codeVerifier === 'string') && (o.nonce === undefined || typeof o.nonce === 'string') &&
      (o.connection === undefined || typeof o.connection === 'string') &&
      (o.connectionConfig === undefined || (typeof o.connectionConfig === 'object' && o.connectionConfig !== null && !Array.isArray(o.connectionConfig) &&
        Object.values(o.connectionConfig).every((v) => typeof v === 'string')))) {
    return o;
  }
  throw new AuthManagerError(ErrorCode.INVALID_STATE, 'Pending authorization record is malformed; start the authorization again');
}
