import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthManagerError, ErrorCode } from '@authmanager/core';

/** Shortest accepted secret, characters. */
export const MIN_SECRET_CHARS = 32;

/** Options of {@link CsrfTokens}. */
export interface CsrfTokensOptions {
  /**
   * HMAC key(s), each at least 32 characters. The first signs new tokens; all of them verify, so
   * a key can be rotated without breaking open pages: put the new one first, drop the old one
   * after `ttlMs`.
   */
  readonly secret: string | readonly string[];
  /** How long a token is accepted, milliseconds. @default 86400000 (24 hours) */
  readonly ttlMs?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

const PREFIX = 'v1';
/** A token from the future is accepted up to this much clock skew between instances, milliseconds. */
const MAX_FUTURE_SKEW_MS = 60_000;

/**
 * CSRF tokens bound to a subject: `v1.<issued at, base-36 seconds>.<HMAC-SHA256 of the subject and
 * that time under the secret, base64url>`. Only a holder of the secret can make one, so a token
 * planted by another site (or another app on the same host) is refused, and one subject's token
 * does not work for another.
 *
 * @throws AuthManagerError `CONFIGURATION` from the constructor when a secret is shorter than 32 characters
 * @example
 * ```ts
 * const csrf = new CsrfTokens({ secret: process.env.CONNECT_SECRET! });
 * const token = csrf.issue('user-42');
 * csrf.verify(token, 'user-42'); // true
 * csrf.verify(token, 'user-43'); // false
 * ```
 */
export class CsrfTokens {
  readonly #secrets: readonly string[];
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: CsrfTokensOptions) {
    const secrets = typeof options.secret === 'string' ? [options.secret] : [...options.secret];
    if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < MIN_SECRET_CHARS)) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `The connect routes' secret must be at least ${MIN_SECRET_CHARS} characters`);
    }
    this.#secrets = secrets;
    this.#ttlMs = options.ttlMs ?? 86_400_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A new token for `subject`.
   * @param subject - the signed-in subject (what `getSubject` returned)
   * @returns an opaque string of about 60 characters
   */
  issue(subject: string): string {
    const issued = Math.floor(this.#now() / 1000).toString(36);
    return `${PREFIX}.${issued}.${this.#mac(this.#secrets[0]!, subject, issued)}`;
  }

  /**
   * Whether `token` was issued for `subject` under one of the secrets, at most `ttlMs` ago.
   * @param token - what the form or header carried (anything)
   * @param subject - the signed-in subject
   */
  verify(token: unknown, subject: string): boolean {
    if (typeof token !== 'string' || token.length > 200) return false;
    const [prefix, issued, mac, ...rest] = token.split('.');
    if (prefix !== PREFIX || issued === undefined || mac === undefined || rest.length > 0 || !/^[0-9a-z]{1,12}$/.test(issued)) return false;
    const issuedAtMs = parseInt(issued, 36) * 1000;
    const now = this.#now();
    if (!(issuedAtMs <= now + MAX_FUTURE_SKEW_MS && now - issuedAtMs <= this.#ttlMs)) return false;
    const given = Buffer.from(mac);
    return this.#secrets.some((secret) => {
      const expected = Buffer.from(this.#mac(secret, subject, issued));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  #mac(secret: string, subject: string, issued: string): string {
    return createHmac('sha256', secret).update(`authmanager-http csrf ${PREFIX}\0${subject}\0${issued}`).digest('base64url');
  }
}
