import { inspect } from 'node:util';
import { AuthManagerError } from './AuthManagerError.js';
import type { ConnectionState } from './ConnectionState.js';
import { ErrorCode } from './ErrorCode.js';

/**
 * The fields a {@link Credentials} is built from. camelCase public names; wire names stay in `raw`.
 */
export interface CredentialsInit<X extends object = Record<string, unknown>> {
  /** RFC 6749 §5.1 `access_token`. */
  accessToken: string;
  /** RFC 6749 §5.1 `token_type`. @default 'Bearer' */
  tokenType?: string;
  /** RFC 6749 §5.1 `refresh_token`, if the provider issued one. */
  refreshToken?: string;
  /** Granted scopes (RFC 6749 §3.3), already split on the provider's separator. */
  scopes?: readonly string[];
  /** When the access token stops working; absent for tokens that never expire. */
  expiresAt?: Date;
  /** OpenID Connect ID token (a JWT), when one was issued. */
  idToken?: string;
  /** Provider-specific fields picked from the token response (e.g. Notion `workspace_id`). */
  extras?: X;
  /**
   * The rest of the provider's last token response, with the fields that have typed homes above
   * (tokens, `token_type`, `expires_in`, `scope`) and the extras removed, so every secret is stored once.
   */
  raw?: Record<string, unknown>;
  /** When these credentials were obtained. @default now */
  obtainedAt?: Date;
  /**
   * When the refresh token stops working, when the provider says (`refresh_token_expires_in`,
   * `x_refresh_token_expires_in`).
   */
  refreshTokenExpiresAt?: Date;
  /** The connection's persisted state (status, cooldown, timestamps); absent means `active`. */
  connection?: ConnectionState;
}

const REDACTED = '[redacted]';

/**
 * Token prefixes that providers document as a fixed marker of the token's kind, not part of its
 * randomness; {@link redactToken} shows only these.
 * - GitHub: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`
 *   (https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/)
 * - Notion: `ntn_`, and `secret_` for older integration tokens (https://developers.notion.com/docs/authorization)
 * - Google: `ya29.` access tokens (https://cloud.google.com/docs/authentication/token-types)
 */
export const KNOWN_TOKEN_PREFIXES: readonly string[] = ['github_pat_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'ntn_', 'secret_', 'ya29.'];

/**
 * Redacts a token for display: its length, preceded by its kind's prefix when it has one of the
 * {@link KNOWN_TOKEN_PREFIXES} (`gho_`, `ntn_`); nothing of the token's random part.
 *
 * @param token - the secret
 * @returns e.g. `"gho_…(40 chars)"`, or `"…(32 chars)"` for a token without a known prefix
 */
export function redactToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const prefix = KNOWN_TOKEN_PREFIXES.find((p) => token.startsWith(p) && token.length > p.length) ?? '';
  return `${prefix}…(${token.length} chars)`;
}

/**
 * Characters an access token may have: RFC 6749 Appendix A.12 `1*VSCHAR` (%x20-7E). Anything else
 * (CR, LF, NUL, non-Latin-1) cannot be sent in an `Authorization` header, and a header library's error
 * would quote the token.
 */
const ACCESS_TOKEN_SYNTAX = /^[\x20-\x7e]+$/;
/** RFC 9110 §5.6.2 `token`: what an auth scheme (`token_type`) may be. */
const AUTH_SCHEME_SYNTAX = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
/** The latest time a JavaScript `Date` holds (ECMA-262 §21.4.1.22), milliseconds. */
const MAX_DATE_MS = 8.64e15;

/**
 * Share of a token's lifetime (`expiresAt` − `obtainedAt`) that the refresh skew may take at most:
 * with the default 60 s skew a 5 s token is refreshed 2.5 s before expiry, not on every call.
 */
export const MAX_SKEW_LIFETIME_FRACTION = 0.5;

/** Whether `token` can be an access token (RFC 6749 Appendix A.12 VSCHAR, non-empty). */
export function isValidAccessToken(token: unknown): token is string {
  return typeof token === 'string' && ACCESS_TOKEN_SYNTAX.test(token);
}

/** Whether `value` can be a `token_type` / HTTP auth scheme (RFC 9110 §5.6.2 token). */
export function isValidTokenType(value: unknown): value is string {
  return typeof value === 'string' && AUTH_SCHEME_SYNTAX.test(value);
}

function isValidDate(d: Date | undefined): boolean {
  if (d === undefined) return true;
  const t = d instanceof Date ? d.getTime() : NaN;
  return Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS;
}

/**
 * Brand of {@link CheckedTimes} (internal: not exported from the package, so only this package's
 * codec and `Credentials#with` can make one).
 */
export const CHECKED: unique symbol = Symbol('authmanager.checkedCredentials');

/**
 * The second constructor argument of the package's own callers that have already checked every
 * field the constructor checks (a codec that validated a stored record, `with` copying valid
 * fields): the times as epoch milliseconds, in place of `init`'s `Date`s (internal).
 */
export interface CheckedTimes {
  readonly [CHECKED]: true;
  readonly expiresAtMs: number | undefined;
  readonly obtainedAtMs: number;
  readonly refreshTokenExpiresAtMs: number | undefined;
}

/** The fields `with` must check again when `changes` has them (the constructor's checks). */
const CHECKED_FIELDS = ['accessToken', 'tokenType', 'refreshToken', 'expiresAt', 'obtainedAt', 'refreshTokenExpiresAt'] as const;

/** The one frozen empty object every credential without extras (or raw fields) shares. */
const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** `value` frozen: shared as it is when frozen already, the shared empty object when it has no keys, else a frozen copy. */
function frozenCopy(value: object | undefined): Readonly<Record<string, unknown>> {
  if (value === undefined) return EMPTY;
  if (Object.isFrozen(value)) return value as Readonly<Record<string, unknown>>;
  for (const key in value) if (Object.hasOwn(value, key)) return Object.freeze({ ...value }) as Readonly<Record<string, unknown>>;
  return EMPTY;
}

/**
 * A user's credentials at one provider: tokens plus the provider's extras.
 *
 * Tokens live in private fields: `JSON.stringify`, `console.log`/`util.inspect`, spreading and
 * `Object.keys` never show them; read them through the getters. Immutable: a refresh makes a new
 * instance.
 *
 * @typeParam X - the provider's extras, e.g. `{ workspace_id: string }` for Notion
 * @see RFC 6749 §5.1 (access token response)
 */
export class Credentials<X extends object = Record<string, unknown>> {
  readonly #accessToken: string;
  readonly #refreshToken: string | undefined;
  readonly #idToken: string | undefined;
  readonly #lifetimeMs: number;
  /** RFC 6749 §5.1 `token_type`, e.g. `Bearer`. */
  readonly tokenType: string;
  /** Granted scopes, if the provider said (RFC 6749 §3.3). */
  readonly scopes: readonly string[] | undefined;
  /** `expiresAt` in epoch milliseconds (hot-path friendly); `undefined` when it never expires. */
  readonly expiresAtMs: number | undefined;
  /** `obtainedAt` in epoch milliseconds. */
  readonly obtainedAtMs: number;
  // Times are kept as numbers, and the `Date` getters below make a new `Date` per call: a stored
  // credential holds no `Date` objects (~96 bytes each), and no caller can change a credential's
  // time through a shared mutable `Date`.
  readonly #refreshTokenExpiresAtMs: number | undefined;
  /** The connection's persisted state; `undefined` for credentials never stored with one (`active`). */
  readonly connection: ConnectionState | undefined;
  /** Provider extras (non-secret fields from the token response). */
  readonly extras: Readonly<X>;
  /** The rest of the last token response (no tokens; see {@link CredentialsInit.raw}). */
  readonly raw: Readonly<Record<string, unknown>>;

  /**
   * @throws AuthManagerError `CONFIGURATION` when `accessToken` is empty or has characters outside
   *   RFC 6749 VSCHAR (CR, LF, non-Latin-1…), `tokenType` is not an RFC 9110 token, or a date is invalid
   * @param checked - internal to this package (its codec and `with`): the caller has checked
   *   `init`, and these are its times; anything else is ignored and `init` is checked
   */
  constructor(init: CredentialsInit<X>, checked?: CheckedTimes) {
    // The package's own callers that checked every field (see CheckedTimes) pass the times as numbers.
    const times = checked !== undefined && checked[CHECKED] === true ? checked : undefined;
    if (times === undefined) Credentials.#check(init);
    this.#accessToken = init.accessToken;
    this.#refreshToken = init.refreshToken;
    this.#idToken = init.idToken;
    this.tokenType = init.tokenType ?? 'Bearer';
    // Frozen inputs (from a codec, or another Credentials) are shared as they are: same shallow
    // immutability as a frozen copy, without the copy.
    this.scopes = init.scopes ? (Object.isFrozen(init.scopes) ? init.scopes : Object.freeze([...init.scopes])) : undefined;
    this.expiresAtMs = times ? times.expiresAtMs : init.expiresAt?.getTime();
    this.obtainedAtMs = times ? times.obtainedAtMs : init.obtainedAt?.getTime() ?? Date.now();
    this.#refreshTokenExpiresAtMs = times ? times.refreshTokenExpiresAtMs : init.refreshTokenExpiresAt?.getTime();
    this.#lifetimeMs = this.expiresAtMs === undefined ? 0 : this.expiresAtMs - this.obtainedAtMs;
    this.connection = init.connection === undefined ? undefined : Object.isFrozen(init.connection) ? init.connection : Object.freeze({ ...init.connection });
    this.extras = frozenCopy(init.extras) as Readonly<X>;
    this.raw = frozenCopy(init.raw);
  }

  static #check(init: CredentialsInit<object>): void {
    if (!isValidAccessToken(init.accessToken)) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'Credentials need a non-empty accessToken of visible ASCII characters (RFC 6749 Appendix A.12)');
    }
    if (init.tokenType !== undefined && !isValidTokenType(init.tokenType)) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'Credentials tokenType must be an HTTP auth scheme such as "Bearer" (RFC 9110 §5.6.2 token)');
    }
    if (!isValidDate(init.expiresAt) || !isValidDate(init.obtainedAt) || !isValidDate(init.refreshTokenExpiresAt)) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'Credentials expiresAt and obtainedAt must be valid dates');
    }
    if (init.refreshToken !== undefined && (typeof init.refreshToken !== 'string' || init.refreshToken === '')) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'Credentials refreshToken must be a non-empty string when given');
    }
  }

  /** When the access token expires (a new `Date` per call); `undefined` means it does not expire. */
  get expiresAt(): Date | undefined {
    return this.expiresAtMs === undefined ? undefined : new Date(this.expiresAtMs);
  }

  /** When these credentials were obtained (a new `Date` per call). */
  get obtainedAt(): Date {
    return new Date(this.obtainedAtMs);
  }

  /** `refreshTokenExpiresAt` in epoch milliseconds; `undefined` when unknown. */
  get refreshTokenExpiresAtMs(): number | undefined {
    return this.#refreshTokenExpiresAtMs;
  }

  /** When the refresh token stops working, when the provider said (a new `Date` per call); `undefined` when unknown. */
  get refreshTokenExpiresAt(): Date | undefined {
    return this.#refreshTokenExpiresAtMs === undefined ? undefined : new Date(this.#refreshTokenExpiresAtMs);
  }

  /** RFC 6749 §1.4 access token. A secret: never log it. */
  get accessToken(): string { return this.#accessToken; }
  /** RFC 6749 §1.5 refresh token, if any. A secret: never log it. */
  get refreshToken(): string | undefined { return this.#refreshToken; }
  /** OpenID Connect ID token, if any. */
  get idToken(): string | undefined { return this.#idToken; }

  /**
   * True when the access token expires within `skewMs` milliseconds of `nowMs`.
   * Tokens without `expiresAt` never expire.
   * @param skewMs - margin in milliseconds
   * @param nowMs - epoch milliseconds. @default Date.now()
   */
  expiresWithin(skewMs: number, nowMs: number = Date.now()): boolean {
    return this.expiresAtMs !== undefined && this.expiresAtMs - skewMs <= nowMs;
  }

  /**
   * True when a session should refresh: the access token expires within the skew, where the skew is
   * capped at {@link MAX_SKEW_LIFETIME_FRACTION} of the token's lifetime (`expiresAt` −
   * `obtainedAt`), so short-lived tokens are not refreshed on every call. Tokens without
   * `expiresAt` never need one.
   * @param skewMs - the configured margin, milliseconds
   * @param nowMs - epoch milliseconds. @default Date.now()
   */
  needsRefresh(skewMs: number, nowMs: number = Date.now()): boolean {
    const exp = this.expiresAtMs;
    if (exp === undefined) return false;
    const lifetimeMs = this.#lifetimeMs;
    const skew = lifetimeMs > 0 ? Math.min(skewMs, lifetimeMs * MAX_SKEW_LIFETIME_FRACTION) : skewMs;
    return exp - skew <= nowMs;
  }

  /**
   * The ID token's claims, decoded without verification (it was verified when it was received).
   * @returns the JWT payload, or `undefined` when there is no ID token
   */
  idTokenClaims(): Record<string, unknown> | undefined {
    const jwt = this.#idToken;
    if (!jwt) return undefined;
    const payload = jwt.split('.')[1];
    if (!payload) return undefined;
    try { return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>; }
    catch { return undefined; }
  }

  /**
   * A copy with some fields replaced.
   * @throws AuthManagerError `CONFIGURATION` as the constructor, for a replaced field
   */
  with(changes: Partial<CredentialsInit<X>>): Credentials<X> {
    for (const field of CHECKED_FIELDS) if (field in changes) return new Credentials<X>({ ...this.toInit(), ...changes });
    // Only unchecked fields change (connection, extras, raw, scopes, idToken): this credential's
    // checked fields and times are copied as they are, without checking them again.
    const init: CredentialsInit<X> = {
      accessToken: this.#accessToken, tokenType: this.tokenType, extras: this.extras as X,
      raw: this.raw as Record<string, unknown>, ...changes,
    };
    if (this.#refreshToken !== undefined) init.refreshToken = this.#refreshToken;
    if (!('idToken' in changes) && this.#idToken !== undefined) init.idToken = this.#idToken;
    if (!('scopes' in changes) && this.scopes !== undefined) init.scopes = this.scopes;
    if (!('connection' in changes) && this.connection !== undefined) init.connection = this.connection;
    return new Credentials<X>(init, {
      [CHECKED]: true, expiresAtMs: this.expiresAtMs, obtainedAtMs: this.obtainedAtMs, refreshTokenExpiresAtMs: this.#refreshTokenExpiresAtMs,
    });
  }

  /** Every field, secrets included: for codecs and copies, never for logs. */
  toInit(): CredentialsInit<X> {
    const init: CredentialsInit<X> = {
      accessToken: this.#accessToken, tokenType: this.tokenType, extras: this.extras as X,
      raw: this.raw as Record<string, unknown>, obtainedAt: this.obtainedAt,
    };
    if (this.#refreshToken !== undefined) init.refreshToken = this.#refreshToken;
    if (this.#idToken !== undefined) init.idToken = this.#idToken;
    if (this.scopes !== undefined) init.scopes = this.scopes;
    if (this.expiresAt !== undefined) init.expiresAt = this.expiresAt;
    if (this.refreshTokenExpiresAt !== undefined) init.refreshTokenExpiresAt = this.refreshTokenExpiresAt;
    if (this.connection !== undefined) init.connection = this.connection;
    return init;
  }

  /** Redacted view: safe for `JSON.stringify` and logs. */
  toJSON(): Record<string, unknown> {
    return {
      accessToken: REDACTED,
      tokenType: this.tokenType,
      refreshToken: this.#refreshToken === undefined ? undefined : REDACTED,
      idToken: this.#idToken === undefined ? undefined : REDACTED,
      scopes: this.scopes,
      expiresAt: this.expiresAt?.toISOString(),
      obtainedAt: this.obtainedAt.toISOString(),
      refreshTokenExpiresAt: this.refreshTokenExpiresAt?.toISOString(),
      status: this.connection?.status,
      extras: this.extras,
    };
  }

  /** Redacted, like {@link Credentials.toJSON}. */
  toString(): string { return `Credentials(${JSON.stringify(this.toJSON())})`; }

  [inspect.custom](_depth: number, options: object): string {
    return `Credentials ${inspect(this.toJSON(), options)}`;
  }
}
