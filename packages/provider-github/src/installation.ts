import { createPrivateKey, type KeyObject } from 'node:crypto';
import {
  AuthManagerError, Credentials, ErrorCode, SingleFlight, mapProviderError, requireAppField,
  type AppCredentialFields, type ProviderContext,
} from '@authmanager/core/provider';
import { API_HEADERS, apiError, jsonObjectBody } from './http.js';

/** The app credentials the installation flow reads. */
export interface InstallationAppCredentials {
  /** GitHub App id or client id (the JWT `iss`). */
  readonly appId?: string | undefined;
  /** The app's private key, PEM (PKCS#1 as GitHub downloads it, or PKCS#8). */
  readonly privateKey?: string | undefined;
  /** REST API base URL. */
  readonly apiUrl: string;
  /** `X-GitHub-Api-Version`. */
  readonly version: string;
}

/** Extras of installation-token credentials (wire names from the GitHub response). */
export interface GithubInstallationExtras {
  /** The installation the token acts as. */
  readonly installation_id: number;
  /** Permissions granted to the token, e.g. `{ contents: 'read' }`. */
  readonly permissions?: Readonly<Record<string, string>>;
  /** `all` or `selected`. */
  readonly repository_selection?: string;
}

/** GitHub App installation access tokens: what `auth.github.installation` is. */
export interface GithubInstallationFlow {
  /**
   * A valid installation access token (`ghs_…`): minted on first use, then served from memory until
   * it is within 5 minutes of `expires_at` (GitHub's tokens live one hour and cannot be refreshed,
   * so a new one is minted). Concurrent callers for one installation share one request.
   * @param installationId - the installation (from a webhook payload or `GET /app/installations`)
   * @throws AuthManagerError `CONFIGURATION` (no `appId` / `privateKey`, or an unreadable key) |
   *   `TOKEN_EXCHANGE_FAILED` (GitHub refused the JWT, or no such installation: 401/404) | `PROVIDER_UNAVAILABLE` |
   *   `INVALID_TOKEN_RESPONSE` (a 201 whose body is not a JSON object with `token` and `expires_at`)
   * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app
   */
  accessToken(installationId: number | string): Promise<string>;
  /**
   * Like {@link GithubInstallationFlow.accessToken}, as {@link Credentials} (with `expiresAt` and the
   * granted `permissions`).
   * @throws as `accessToken`
   */
  credentials(installationId: number | string): Promise<Credentials<GithubInstallationExtras>>;
  /**
   * A fresh app JWT (RS256, `iat` 60 s in the past, `exp` 9 minutes ahead, `iss` = `appId`) for
   * app-level endpoints such as `GET /app/installations`. A secret: do not log it.
   * @throws AuthManagerError `CONFIGURATION`
   * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
   */
  appJwt(): Promise<string>;
  /** Drops cached tokens (of one installation, or all), so the next call mints a new one. */
  forget(installationId?: number | string): void;
}

/** Re-mint installation tokens this close to `expires_at`. */
const INSTALLATION_TOKEN_SKEW_MS = 5 * 60_000;
/** GitHub: set `iat` 60 seconds in the past against clock drift. */
const JWT_BACKDATE_SECONDS = 60;
/** GitHub: `exp` at most 10 minutes after now; counted from the back-dated `iat`, 9 minutes ahead. */
const JWT_LIFETIME_SECONDS = 600;

/**
 * Builds the installation-token flow for one provider registration (one cache per `AuthManager`).
 * @param ctx - the provider context (app credentials, `fetch`)
 * @param fields - the provider's app-credential declarations, for "set GITHUB_APP_ID" hints
 */
export function installationFlow(ctx: ProviderContext<InstallationAppCredentials>, fields: AppCredentialFields): GithubInstallationFlow {
  const cache = new Map<string, Credentials<GithubInstallationExtras>>();
  const minting = new SingleFlight<string, Credentials<GithubInstallationExtras>>();
  let key: KeyObject | undefined;

  const signingKey = (): KeyObject => {
    if (key) return key;
    const pem = requireAppField(ctx.provider, fields, 'privateKey', ctx.app.privateKey);
    try {
      key = createPrivateKey(pem);
    } catch (cause) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${ctx.provider}: app credential "privateKey" is not a readable PEM private key`, { provider: ctx.provider, cause });
    }
    return key;
  };

  const appJwt = async (): Promise<string> => {
    const appId = requireAppField(ctx.provider, fields, 'appId', ctx.app.appId);
    // Loaded on the first installation token: importing jose took ~20 ms of a process's cold start
    // that only GitHub App installations need.
    const { SignJWT } = await import('jose');
    const iat = Math.floor(Date.now() / 1000) - JWT_BACKDATE_SECONDS;
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(appId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + JWT_LIFETIME_SECONDS)
      .sign(signingKey());
  };

  const mint = async (id: string): Promise<Credentials<GithubInstallationExtras>> => {
    const jwt = await appJwt();
    const url = `${ctx.app.apiUrl}/app/installations/${encodeURIComponent(id)}/access_tokens`;
    let response: Response;
    try {
      response = await ctx.fetch(url, { method: 'POST', headers: { ...API_HEADERS, 'x-github-api-version': ctx.app.version, authorization: `Bearer ${jwt}` } });
    } catch (err) {
      throw mapProviderError(err, ctx.provider, 'exchange');
    }
    if (response.status !== 201) {
      throw await apiError(response, ctx.provider, `installation token for installation ${id}`, ErrorCode.TOKEN_EXCHANGE_FAILED);
    }
    const { token, expires_at, permissions, repository_selection, ...raw } = await jsonObjectBody(response, ctx.provider, `installation token for installation ${id}`);
    const expiresAtMs = typeof expires_at === 'string' ? Date.parse(expires_at) : Number.NaN;
    if (typeof token !== 'string' || token === '' || Number.isNaN(expiresAtMs)) {
      throw new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${ctx.provider}: installation token response lacks token or expires_at`, { provider: ctx.provider });
    }
    return new Credentials<GithubInstallationExtras>({
      accessToken: token,
      expiresAt: new Date(expiresAtMs),
      extras: {
        installation_id: Number(id),
        ...(permissions && typeof permissions === 'object' ? { permissions: permissions as Record<string, string> } : {}),
        ...(typeof repository_selection === 'string' ? { repository_selection } : {}),
      },
      raw,
    });
  };

  const credentials = (installationId: number | string): Promise<Credentials<GithubInstallationExtras>> => {
    const id = String(installationId);
    const cached = cache.get(id);
    if (cached && !cached.expiresWithin(INSTALLATION_TOKEN_SKEW_MS)) return Promise.resolve(cached);
    return minting.run(id, () => mint(id).then((fresh) => { cache.set(id, fresh); return fresh; }));
  };

  return {
    accessToken: async (installationId) => (await credentials(installationId)).accessToken,
    credentials,
    appJwt,
    forget: (installationId) => {
      if (installationId === undefined) cache.clear();
      else cache.delete(String(installationId));
    },
  };
}
