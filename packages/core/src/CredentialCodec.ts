import { AuthManagerError } from './AuthManagerError.js';
import { Credentials } from './Credentials.js';
import { ErrorCode } from './ErrorCode.js';

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
 * Record format version 1: a JSON object
 * `{"v":1,"at":accessToken,"tt":tokenType,"rt"?:refreshToken,"sc"?:scopes[],"exp"?:epochMs,
 *   "id"?:idToken,"iat":obtainedAtEpochMs,"x":extras,"raw":rest}`.
 * Each token is stored once: `raw` holds only the response fields with no typed home.
 */
export const jsonCredentialCodec: CredentialCodec = {
  encode(c) {
    const out: Record<string, unknown> = { v: 1, at: c.accessToken, tt: c.tokenType };
    if (c.refreshToken !== undefined) out.rt = c.refreshToken;
    if (c.scopes !== undefined) out.sc = c.scopes;
    if (c.expiresAtMs !== undefined) out.exp = c.expiresAtMs;
    if (c.idToken !== undefined) out.id = c.idToken;
    out.iat = c.obtainedAt.getTime();
    out.x = c.extras;
    out.raw = c.raw;
    return JSON.stringify(out);
  },
  decode(value) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(value) as Record<string, unknown>;
    } catch (cause) {
      throw new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS, 'Stored credentials are not valid JSON', { cause: redactCause(cause) });
    }
    if (typeof o !== 'object' || o === null || o.v !== 1) {
      throw new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS, `Stored credentials have unknown format version ${JSON.stringify((o as { v?: unknown } | null)?.v)}`);
    }
    if (typeof o.at !== 'string' || o.at === '' || typeof o.tt !== 'string' ||
        (o.rt !== undefined && typeof o.rt !== 'string') || (o.exp !== undefined && typeof o.exp !== 'number') ||
        (o.sc !== undefined && !Array.isArray(o.sc)) || (o.id !== undefined && typeof o.id !== 'string')) {
      throw new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS, 'Stored credentials are missing fields or have fields of the wrong type');
    }
    return new Credentials({
      accessToken: o.at,
      tokenType: o.tt,
      ...(o.rt !== undefined ? { refreshToken: o.rt as string } : {}),
      ...(o.sc !== undefined ? { scopes: o.sc as string[] } : {}),
      ...(o.exp !== undefined ? { expiresAt: new Date(o.exp as number) } : {}),
      ...(o.id !== undefined ? { idToken: o.id as string } : {}),
      obtainedAt: new Date(typeof o.iat === 'number' ? o.iat : 0),
      extras: (o.x ?? {}) as Record<string, unknown>,
      raw: (o.raw ?? {}) as Record<string, unknown>,
    });
  },
};

/** JSON.parse errors quote the input, which may hold a token: keep only the error's kind. */
function redactCause(cause: unknown): Error {
  return new Error(cause instanceof Error ? `${cause.name} while parsing stored record` : 'parse error');
}
