import { AuthManagerError } from './AuthManagerError.js';
import { CHECKED, Credentials, isValidAccessToken, isValidTokenType, type CredentialsInit } from './Credentials.js';
import { isConnectionStatus, type ConnectionState } from './ConnectionState.js';
import { ErrorCode } from './ErrorCode.js';
import { MAX_JSON_DEPTH, isJsonObject, jsonShapeProblem } from './JsonShape.js';

/**
 * Turns credentials into the string a store keeps, and back. Versioned so the format can change
 * without breaking stored records.
 */
export interface CredentialCodec {
  /** Encode, secrets included. */
  encode(credentials: Credentials<object>): string;
  /**
   * Decode.
   * @throws AuthManagerError `INVALID_STORED_CREDENTIALS` on malformed input or an unknown version
   */
  decode(value: string): Credentials<object>;
}

/**
 * Record format: a JSON object. Version 1
 * `{"v":1,"at":accessToken,"tt":tokenType,"rt"?:refreshToken,"sc"?:scopes[],"exp"?:epochMs,
 *   "id"?:idToken,"iat":obtainedAtEpochMs,"x":extras,"raw":rest}`.
 * Each token is stored once: `raw` holds only the response fields with no typed home.
 *
 * Version 2 adds `"rx"?: refreshTokenExpiresAtMs` and `"cs"?: {"st": status, "ec"?: lastErrorCode,
 * "ca"?: connectedAtMs, "lr"?: lastRefreshedAtMs, "fc"?: failureCount, "ra"?: retryAtMs}` (the
 * connection state). A credential with neither is still written as version 1, so processes on an
 * older release keep reading it; both versions are read.
 *
 * `decode` refuses (with `INVALID_STORED_CREDENTIALS`) any record it could not encode again: an
 * access token outside RFC 6749 VSCHAR, a `token_type` that is not an HTTP auth scheme, a date a
 * `Date` cannot hold, nesting deeper than 32 levels, a `__proto__`/`constructor`/`prototype` key.
 */
export const jsonCredentialCodec: CredentialCodec = {
  encode(c) {
    const state = c.connection;
    const rx = c.refreshTokenExpiresAtMs;
    const out: Record<string, unknown> = { v: state !== undefined || rx !== undefined ? 2 : 1, at: c.accessToken, tt: c.tokenType };
    if (c.refreshToken !== undefined) out.rt = c.refreshToken;
    if (c.scopes !== undefined) out.sc = c.scopes;
    if (c.expiresAtMs !== undefined) out.exp = c.expiresAtMs;
    if (c.idToken !== undefined) out.id = c.idToken;
    out.iat = c.obtainedAtMs;
    out.x = c.extras;
    out.raw = c.raw;
    if (rx !== undefined) out.rx = rx;
    if (state !== undefined) {
      const cs: Record<string, unknown> = { st: state.status };
      if (state.lastErrorCode !== undefined) cs.ec = state.lastErrorCode;
      if (state.connectedAtMs !== undefined) cs.ca = state.connectedAtMs;
      if (state.lastRefreshedAtMs !== undefined) cs.lr = state.lastRefreshedAtMs;
      if (state.failureCount !== undefined) cs.fc = state.failureCount;
      if (state.retryAtMs !== undefined) cs.ra = state.retryAtMs;
      out.cs = cs;
    }
    return JSON.stringify(out);
  },
  decode(value) {
    let o: unknown;
    try {
      o = JSON.parse(value);
    } catch (cause) {
      throw new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS, 'Stored credentials are not valid JSON', { cause: redactCause(cause) });
    }
    if (!isJsonObject(o) || (o.v !== 1 && o.v !== 2)) {
      const v = isJsonObject(o) && (typeof o.v === 'number' || typeof o.v === 'string') ? JSON.stringify(o.v).slice(0, 20) : 'none';
      throw invalid(`have unknown format version ${v}`);
    }
    // The typed fields are checked one by one below; only the free-form extras and raw fields can
    // nest (the record itself is the first level).
    const shape = (o.x === undefined ? undefined : jsonShapeProblem(o.x, MAX_JSON_DEPTH - 1)) ?? (o.raw === undefined ? undefined : jsonShapeProblem(o.raw, MAX_JSON_DEPTH - 1));
    if (shape) throw invalid(shape);
    if (!isValidAccessToken(o.at) || !isValidTokenType(o.tt) ||
        (o.rt !== undefined && (typeof o.rt !== 'string' || o.rt === '')) || (o.id !== undefined && typeof o.id !== 'string') ||
        (o.sc !== undefined && !(Array.isArray(o.sc) && o.sc.every((s) => typeof s === 'string'))) ||
        (o.x !== undefined && !isJsonObject(o.x)) || (o.raw !== undefined && !isJsonObject(o.raw))) {
      throw invalid('are missing fields or have fields of the wrong type');
    }
    // Dates a `Date` cannot hold would make a credential that can be neither printed, refreshed nor
    // written again: refuse them here, where the record is read.
    if ((o.exp !== undefined && !isDateMs(o.exp)) || (o.iat !== undefined && !isDateMs(o.iat)) || (o.rx !== undefined && !isDateMs(o.rx))) {
      throw invalid('have a date out of range');
    }
    const connection = o.cs === undefined ? undefined : decodeState(o.cs);
    const init: CredentialsInit<Record<string, unknown>> = {
      accessToken: o.at,
      tokenType: o.tt,
      // Parsed here and owned by nobody else: frozen in place rather than copied.
      extras: frozenInPlace(o.x),
      raw: frozenInPlace(o.raw),
    };
    if (o.rt !== undefined) init.refreshToken = o.rt as string;
    if (o.sc !== undefined) init.scopes = Object.freeze(o.sc as string[]);
    if (o.id !== undefined) init.idToken = o.id as string;
    if (connection !== undefined) init.connection = connection;
    // Every field the constructor checks was checked above (tokens, token type, dates): the
    // times go in as numbers, and nothing is checked twice.
    return new Credentials(init, {
      [CHECKED]: true,
      expiresAtMs: o.exp as number | undefined,
      obtainedAtMs: typeof o.iat === 'number' ? o.iat : 0,
      refreshTokenExpiresAtMs: o.rx as number | undefined,
    });
  },
};

/** A parsed object frozen in place (owned by nobody else), or `undefined` for an empty one (the credential shares one empty object). */
function frozenInPlace(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  for (const key in value as object) if (Object.hasOwn(value as object, key)) return Object.freeze(value as Record<string, unknown>);
  return undefined;
}

function decodeState(cs: unknown): ConnectionState {
  const ok = (v: unknown) => v === undefined || isDateMs(v);
  if (!isJsonObject(cs) || !isConnectionStatus(cs.st) || (cs.ec !== undefined && typeof cs.ec !== 'string') ||
      !ok(cs.ca) || !ok(cs.lr) || !ok(cs.ra) || (cs.fc !== undefined && !(Number.isInteger(cs.fc) && (cs.fc as number) >= 0))) {
    throw invalid('have a malformed connection state');
  }
  const state: { -readonly [K in keyof ConnectionState]: ConnectionState[K] } = { status: cs.st };
  if (cs.ec !== undefined) state.lastErrorCode = cs.ec as ErrorCode;
  if (cs.ca !== undefined) state.connectedAtMs = cs.ca as number;
  if (cs.lr !== undefined) state.lastRefreshedAtMs = cs.lr as number;
  if (cs.fc !== undefined) state.failureCount = cs.fc as number;
  if (cs.ra !== undefined) state.retryAtMs = cs.ra as number;
  // Frozen here, so the credential shares it instead of freezing a copy.
  return Object.freeze(state);
}

function invalid(what: string): AuthManagerError {
  return new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS, `Stored credentials ${what}`);
}

function isDateMs(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 8.64e15;
}

/** JSON.parse errors quote the input, which may hold a token: keep only the error's kind. */
function redactCause(cause: unknown): Error {
  return new Error(cause instanceof Error ? `${cause.name} while parsing stored record` : 'parse error');
}
