import { inspect } from 'node:util';

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
}

const REDACTED = '[redacted]';

/**
 * Redacts a token for display: a short prefix that identifies the token kind (`gho_`, `ntn_`) and
 * its length, never enough to use it.
 *
 * @param token - the secret
 * @returns e.g. `"gho_…(40 chars)"`
 */
export function redactToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const prefix = /^[a-z]{2,6}_/i.exec(token)?.[0] ?? '';
  return `${prefix}…(${token.length} chars)`;
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
  /** RFC 6749 §5.1 `token_type`, e.g. `Bearer`. */
  readonly tokenType: string;
  /** Granted scopes, if the provider said (RFC 6749 §3.3). */
  readonly scopes: readonly string[] | undefined;
  /** When the access token expires; `undefined` means it does not expire. */
  readonly expiresAt: Date | undefined;
  /** `expiresAt` in epoch milliseconds (hot-path friendly); `undefined` when it never expires. */
  readonly expiresAtMs: number | undefined;
  /** When these credentials were obtained. */
  readonly obtainedAt: Date;
  /** Provider extras (non-secret fields from the token response). */
  readonly extras: Readonly<X>;
  /** The rest of the last token response (no tokens; see {@link CredentialsInit.raw}). */
  readonly raw: Readonly<Record<string, unknown>>;

  constructor(init: CredentialsInit<X>) {
    if (typeof init.accessToken !== 'string' || init.accessToken.length === 0) {
      throw new TypeError('Credentials need a non-empty accessToken');
    }
    this.#accessToken = init.accessToken;
    this.#refreshToken = init.refreshToken;
    this.#idToken = init.idToken;
    this.tokenType = init.tokenType ?? 'Bearer';
    this.scopes = init.scopes ? Object.freeze([...init.scopes]) : undefined;
    this.expiresAt = init.expiresAt;
    this.expiresAtMs = init.expiresAt?.getTime();
    this.obtainedAt = init.obtainedAt ?? new Date();
    this.extras = Object.freeze({ ...(init.extras ?? ({} as X)) });
    this.raw = Object.freeze({ ...(init.raw ?? {}) });
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

  /** A copy with some fields replaced. */
  with(changes: Partial<CredentialsInit<X>>): Credentials<X> {
    return new Credentials<X>({ ...this.toInit(), ...changes });
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
      extras: this.extras,
    };
  }

  /** Redacted, like {@link Credentials.toJSON}. */
  toString(): string { return `Credentials(${JSON.stringify(this.toJSON())})`; }

  [inspect.custom](_depth: number, options: object): string {
    return `Credentials ${inspect(this.toJSON(), options)}`;
  }
}
