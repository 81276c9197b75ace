import { AuthManagerError, Credentials, ErrorCode, SingleFlight, z, type ProviderContext } from '@authmanager/core/provider';
import type { CryptoKey } from 'jose';
import { GOOGLE_TOKEN_URL } from './endpoints.js';

/** RFC 7523 §2.1 grant type. */
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions that live at most one hour. */
const ASSERTION_LIFETIME_SECONDS = 3600;
/** A cached token is replaced this long before it expires. */
const REUSE_MARGIN_MS = 60_000;
/** Timeout of one token request. */
const REQUEST_TIMEOUT_MS = 10_000;

const keyFields = z.object({
  type: z.literal('service_account'),
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().min(1).optional(),
  token_uri: z.url().optional(),
  project_id: z.string().optional(),
  client_id: z.string().optional(),
});

/**
 * A service account key file (the JSON Google Cloud Console downloads). Only `type`,
 * `client_email` and `private_key` are required; `private_key_id` becomes the assertion's `kid` and
 * `token_uri` its audience.
 */
export type GoogleServiceAccountKey = z.output<typeof keyFields>;

/**
 * Schema of the `serviceAccountKey` app credential: the key file's JSON text (as in
 * `GOOGLE_SERVICE_ACCOUNT_KEY`) or the parsed object. Error messages never contain the key.
 */
export const serviceAccountKeySchema = z.union([
  keyFields,
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', input: '[redacted]', message: 'not valid JSON (expected the service account key file contents)' });
      return z.NEVER;
    }
  }).pipe(keyFields),
]);

/** The app credentials the service-account flow reads. */
export interface ServiceAccountAppCredentials {
  readonly serviceAccountKey?: GoogleServiceAccountKey | undefined;
  /** Token endpoint override (else the key's `token_uri`, else Google's). */
  readonly tokenUrl?: string | undefined;
}

/** What to ask a service-account token for. */
export interface ServiceAccountTokenRequest {
  /** OAuth scopes, e.g. `https://www.googleapis.com/auth/drive.readonly` (the assertion's `scope`). */
  readonly scopes: readonly string[];
  /**
   * A Workspace user's email to act as (domain-wide delegation; the assertion's `sub`). The
   * service account needs delegation for these scopes in the Admin console. Absent: the token is
   * the service account's own. An empty (or blank) string names no user and is refused.
   * @see https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
   *   (`sub`: "the email address of the user for which the application is requesting delegated access")
   */
  readonly subject?: string;
}

/** Service-account credentials carry no extras. */
export type GoogleServiceAccountExtras = Record<string, never>;

/**
 * Google service accounts: access tokens from the RFC 7523 JWT bearer grant at the token endpoint,
 * with an assertion signed RS256 by the service account's key (`iss` = `client_email`, `scope`,
 * `aud` = token endpoint, `exp` = `iat` + 1 h, optional `sub` for domain-wide delegation).
 * Tokens are cached in memory per (scopes, subject) and reused until a minute before they expire;
 * concurrent callers share one request. Get it as `auth.google.serviceAccount`.
 *
 * @see https://developers.google.com/identity/protocols/oauth2/service-account#httprest
 * @see RFC 7523 §2.1
 * @example
 * ```ts
 * const auth = new AuthManager({ providers: [google({ serviceAccountKey: process.env.GOOGLE_SERVICE_ACCOUNT_KEY })] });
 * const token = await auth.google.serviceAccount.accessToken({ scopes: ['https://www.googleapis.com/auth/drive.readonly'] });
 * ```
 */
export class GoogleServiceAccountFlow {
  readonly #ctx: ProviderContext<ServiceAccountAppCredentials>;
  readonly #cache = new Map<string, Credentials<GoogleServiceAccountExtras>>();
  /** One grant at a time per cache key. */
  readonly #granting = new SingleFlight<string, Credentials<GoogleServiceAccountExtras>>();
  #signingKey: Promise<CryptoKey> | undefined;

  constructor(ctx: ProviderContext<ServiceAccountAppCredentials>) {
    this.#ctx = ctx;
  }

  /** The service account's email (`client_email`), or `undefined` when no key is configured. */
  get clientEmail(): string | undefined {
    return this.#ctx.app.serviceAccountKey?.client_email;
  }

  /**
   * A valid access token for `scopes` (and `subject`), from the cache or a new JWT bearer grant.
   * @throws as {@link GoogleServiceAccountFlow.credentials}
   */
  async accessToken(request: ServiceAccountTokenRequest): Promise<string> {
    return (await this.credentials(request)).accessToken;
  }

  /**
   * Credentials (access token, `expiresAt`, the requested scopes) usable as
   * `auth.session(id, { withCredentials: { google: credentials } })`.
   * @throws AuthManagerError `CONFIGURATION` (no `serviceAccountKey`, no scopes, an empty `subject`) |
   *   `TOKEN_EXCHANGE_FAILED` (Google refused the assertion: `error` is e.g. `invalid_grant`,
   *   `invalid_scope`, `unauthorized_client` for delegation not granted) | `PROVIDER_UNAVAILABLE` |
   *   `INVALID_TOKEN_RESPONSE` (no `access_token` or `expires_in`, or a body that is not JSON)
   */
  credentials(request: ServiceAccountTokenRequest): Promise<Credentials<GoogleServiceAccountExtras>> {
    const scopes = [...new Set(request.scopes)].sort();
    if (scopes.length === 0) {
      return Promise.reject(new AuthManagerError(ErrorCode.CONFIGURATION, `${this.#ctx.provider}: a service-account token needs at least one scope`, { provider: this.#ctx.provider }));
    }
    const { subject } = request;
    if (subject !== undefined && subject.trim() === '') {
      // Google's `sub` is the email of the user to act as; '' is no user. Sending it (or, as a cache
      // key, confusing it with "no subject") would hand back the service account's own token.
      return Promise.reject(new AuthManagerError(ErrorCode.CONFIGURATION, `${this.#ctx.provider}: a service-account token's subject must be a user's email (domain-wide delegation); omit it for the service account's own token`, { provider: this.#ctx.provider }));
    }
    // One entry per (subject or none, scope set): JSON keeps "no subject" apart from every string.
    const key = JSON.stringify([subject ?? null, scopes]);
    const hit = this.#cache.get(key);
    if (hit && !hit.expiresWithin(REUSE_MARGIN_MS)) return Promise.resolve(hit);
    return this.#granting.run(key, () => this.#grant(scopes, subject).then((credentials) => {
      this.#cache.set(key, credentials);
      return credentials;
    }));
  }

  /** Forgets every cached token (the next call makes a new grant). */
  clear(): void {
    this.#cache.clear();
  }

  async #grant(scopes: readonly string[], subject: string | undefined): Promise<Credentials<GoogleServiceAccountExtras>> {
    const { provider, app } = this.#ctx;
    const key = app.serviceAccountKey;
    if (!key) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION,
        `Provider "${provider}": app credential "serviceAccountKey" is required for service-account tokens; pass it to the provider factory or set GOOGLE_SERVICE_ACCOUNT_KEY`,
        { provider });
    }
    const tokenUrl = app.tokenUrl ?? key.token_uri ?? GOOGLE_TOKEN_URL;
    let assertion: string;
    try {
      // Loaded on the first service-account token: importing jose took ~20 ms of a process's cold
      // start that only service accounts need.
      const { importPKCS8, SignJWT } = await import('jose');
      this.#signingKey ??= importPKCS8(key.private_key, 'RS256');
      const nowSeconds = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ scope: scopes.join(' ') })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) })
        .setIssuer(key.client_email)
        .setAudience(tokenUrl)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + ASSERTION_LIFETIME_SECONDS);
      if (subject !== undefined) jwt.setSubject(subject);
      assertion = await jwt.sign(await this.#signingKey);
    } catch (cause) {
      this.#signingKey = undefined;
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${provider}: the service account private key could not sign the assertion (expected an RSA key in PKCS#8 PEM)`, { provider, cause });
    }
    let response: Response;
    try {
      response = await this.#ctx.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${provider} service-account token request failed: provider unreachable or timed out`, { provider, cause });
    }
    const body = await response.json().catch(() => undefined) as Record<string, unknown> | undefined;
    if (!response.ok) {
      const error = typeof body?.error === 'string' ? body.error : `http_${response.status}`;
      const description = typeof body?.error_description === 'string' ? body.error_description : undefined;
      const code = response.status >= 500 ? ErrorCode.PROVIDER_UNAVAILABLE : ErrorCode.TOKEN_EXCHANGE_FAILED;
      throw new AuthManagerError(code, `${provider} service-account token request failed: ${error}${description ? ` (${description})` : ''}`, {
        provider, status: response.status, oauth: { error, ...(description ? { error_description: description } : {}) },
      });
    }
    if (typeof body?.access_token !== 'string' || body.access_token === '') {
      throw new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${provider}: service-account token response has no access_token`, { provider, status: response.status });
    }
    // Google always sends `expires_in` (~3599 s). Without one the token would look eternal and be
    // served from the cache long after Google stopped accepting it.
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in
      : typeof body.expires_in === 'string' && body.expires_in !== '' ? Number(body.expires_in) : Number.NaN;
    if (!Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${provider}: service-account token response has no valid expires_in`, { provider, status: response.status });
    }
    const obtainedAt = new Date();
    return new Credentials<GoogleServiceAccountExtras>({
      accessToken: body.access_token,
      tokenType: 'Bearer',
      scopes,
      obtainedAt,
      expiresAt: new Date(obtainedAt.getTime() + expiresIn * 1000),
    });
  }
}
