import { randomBytes } from 'node:crypto';
import type { RefreshTokenRotation } from '@authmanager/core';

/** What the user consented to at the authorize endpoint: kept with the code, then with the grant. */
export interface Consent {
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** The `redirect_uri` of the authorization request, when it had one (RFC 6749 §4.1.3 requires it again). */
  readonly redirectUri?: string;
  /** RFC 7636 `code_challenge` (S256), when sent. */
  readonly codeChallenge?: string;
  /** OpenID Connect `nonce`, when sent. */
  readonly nonce?: string;
}

/** A grant: the tokens issued under one consent (or one client credentials request). */
export interface Grant {
  readonly consent: Consent;
  /** Whether a user consented (false: client credentials). */
  readonly user: boolean;
  refreshToken?: string;
  /** When the refresh token dies, epoch ms (absent: never). */
  refreshExpiresAtMs?: number;
  /** When the whole refresh-token chain dies, epoch ms, however often it is refreshed (absent: never). */
  readonly chainExpiresAtMs?: number;
  active: boolean;
}

/** Tokens just issued. */
export interface IssuedTokens {
  readonly grant: Grant;
  readonly accessToken: string;
  /** Absent when none was issued (or, on refresh, the old one stays). */
  readonly refreshToken?: string;
  readonly expiresInSeconds: number;
}

/** Lifetimes of a {@link GrantStore}. */
export interface GrantLifetimes {
  /** Access-token lifetime, seconds; `Infinity`: access tokens never expire. */
  readonly accessTokenSeconds: number;
  /** Refresh-token lifetime, seconds. Absent: refresh tokens do not expire. */
  readonly refreshTokenSeconds?: number;
  /**
   * Longest life of a refresh-token chain, seconds, counted from the authorization and not extended
   * by refreshing (the definition's `refreshTokenMaxLifetimeSeconds`). Absent: no limit.
   */
  readonly refreshChainSeconds?: number;
  /** Authorization-code lifetime, seconds (RFC 6749 §4.1.2 recommends at most 10 minutes). */
  readonly codeSeconds: number;
}

const opaque = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/**
 * Authorization codes, access tokens and refresh tokens of an emulated provider: issuing, one-time
 * code redemption (RFC 6749 §4.1.2), expiry, refresh with or without rotation, and revocation
 * (revoking a refresh token ends its grant, RFC 7009 §2.1).
 */
export class GrantStore {
  readonly #codes = new Map<string, { consent: Consent; expiresAtMs: number }>();
  readonly #access = new Map<string, { grant: Grant; expiresAtMs: number }>();
  readonly #refresh = new Map<string, Grant>();

  constructor(readonly lifetimes: GrantLifetimes, private readonly now: () => number) {}

  /** A new authorization code for `consent`. */
  issueCode(consent: Consent): string {
    const code = opaque('code_');
    this.#codes.set(code, { consent, expiresAtMs: this.now() + this.lifetimes.codeSeconds * 1000 });
    return code;
  }

  /** The consent of a live code, which dies with this call; undefined when unknown, used or expired. */
  redeemCode(code: string | undefined): Consent | undefined {
    const entry = code === undefined ? undefined : this.#codes.get(code);
    if (!entry) return undefined;
    this.#codes.delete(code!);
    return entry.expiresAtMs > this.now() ? entry.consent : undefined;
  }

  /** Opens a grant and issues its first tokens. @param withRefreshToken - issue a refresh token */
  open(consent: Consent, user: boolean, withRefreshToken: boolean): IssuedTokens {
    const chain = this.lifetimes.refreshChainSeconds;
    const grant: Grant = { consent, user, active: true, ...(chain !== undefined ? { chainExpiresAtMs: this.now() + chain * 1000 } : {}) };
    const refreshToken = withRefreshToken ? this.#newRefreshToken(grant) : undefined;
    return { grant, accessToken: this.#newAccessToken(grant), ...(refreshToken ? { refreshToken } : {}), expiresInSeconds: this.lifetimes.accessTokenSeconds };
  }

  /**
   * Refreshes (RFC 6749 §6): a new access token; with `rotates` a new refresh token and the old one
   * dies; with `reuses` the same one is sent again; otherwise none is sent (the client keeps its own).
   * @returns undefined when the refresh token is unknown, revoked, rotated away or expired
   */
  refresh(refreshToken: string | undefined, rotation: RefreshTokenRotation): IssuedTokens | undefined {
    const grant = this.refreshGrant(refreshToken);
    if (!grant) return undefined;
    let sent: string | undefined;
    if (rotation === 'rotates') {
      this.#refresh.delete(refreshToken!);
      sent = this.#newRefreshToken(grant);
    } else if (rotation === 'reuses') {
      sent = refreshToken;
    }
    return { grant, accessToken: this.#newAccessToken(grant), ...(sent ? { refreshToken: sent } : {}), expiresInSeconds: this.lifetimes.accessTokenSeconds };
  }

  /** The grant of a live access token. */
  accessGrant(token: string | undefined): Grant | undefined {
    const entry = token === undefined ? undefined : this.#access.get(token);
    return entry && entry.grant.active && entry.expiresAtMs > this.now() ? entry.grant : undefined;
  }

  /** When a live access token expires, epoch seconds. */
  accessExpiresAtSeconds(token: string): number | undefined {
    const entry = this.accessGrant(token) ? this.#access.get(token) : undefined;
    return entry && Number.isFinite(entry.expiresAtMs) ? Math.floor(entry.expiresAtMs / 1000) : undefined;
  }

  /** The grant of a live refresh token. */
  refreshGrant(token: string | undefined): Grant | undefined {
    const grant = token === undefined ? undefined : this.#refresh.get(token);
    if (!grant?.active || grant.refreshToken !== token) return undefined;
    if (grant.chainExpiresAtMs !== undefined && grant.chainExpiresAtMs <= this.now()) return undefined;
    return grant.refreshExpiresAtMs !== undefined && grant.refreshExpiresAtMs <= this.now() ? undefined : grant;
  }

  /**
   * Revokes a token. A refresh token ends its whole grant; an access token only itself, unless
   * `wholeGrant`.
   * @param kind - look the token up only as this kind
   * @returns false when the token was not live (RFC 7009 §2.2: still a success for the client)
   */
  revoke(token: string | undefined, kind?: 'access_token' | 'refresh_token', wholeGrant = false): boolean {
    const viaRefresh = kind !== 'access_token' ? this.refreshGrant(token) : undefined;
    if (viaRefresh) { viaRefresh.active = false; return true; }
    const viaAccess = kind !== 'refresh_token' ? this.accessGrant(token) : undefined;
    if (!viaAccess) return false;
    if (wholeGrant) viaAccess.active = false; else this.#access.delete(token!);
    return true;
  }

  #newAccessToken(grant: Grant): string {
    const token = opaque('at_');
    this.#access.set(token, { grant, expiresAtMs: this.now() + this.lifetimes.accessTokenSeconds * 1000 });
    return token;
  }

  #newRefreshToken(grant: Grant): string {
    const token = opaque('rt_');
    grant.refreshToken = token;
    if (this.lifetimes.refreshTokenSeconds !== undefined) grant.refreshExpiresAtMs = this.now() + this.lifetimes.refreshTokenSeconds * 1000;
    this.#refresh.set(token, grant);
    return token;
  }
}
