import { baseUrlOrigins } from './ApiRequest.js';
import { AuthManagerError } from './AuthManagerError.js';
import { Credentials, isValidAccessToken, isValidTokenType } from './Credentials.js';
import { ErrorCode } from './ErrorCode.js';
import { jsonShapeProblem } from './JsonShape.js';
import { matchesOriginPattern } from './OriginPattern.js';
import type { ProviderRuntime } from './ProviderRuntime.js';

/**
 * Largest `expires_in` accepted, seconds (2^31 − 1, about 68 years: the largest value providers use to
 * mean "practically never"). Larger, negative, non-finite or non-numeric values are refused.
 */
export const MAX_EXPIRES_IN_SECONDS = 2_147_483_647;

/**
 * Token-response fields giving the refresh token's lifetime in seconds: `refresh_token_expires_in`
 * (GitHub, https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens;
 * Microsoft) and `x_refresh_token_expires_in` (Intuit QuickBooks,
 * https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0).
 */
const REFRESH_TOKEN_LIFETIME_FIELDS = ['refresh_token_expires_in', 'x_refresh_token_expires_in'];

/** Token-response fields with typed homes in {@link Credentials}; never copied into `raw`. */
const TYPED_FIELDS = new Set(['access_token', 'token_type', 'refresh_token', 'expires_in', 'scope', 'id_token', ...REFRESH_TOKEN_LIFETIME_FIELDS]);

/**
 * Builds credentials from a token response. On refresh, `previous` supplies what the response
 * omits: the refresh token, scopes, ID token and extras (RFC 6749 §6: the server MAY issue a new
 * refresh token; when it does not, the old one stays valid). On a code exchange, a response without
 * `scope` means the requested scopes were granted (RFC 6749 §5.1), so `requestedScopes` are kept.
 *
 * The response is refused, and nothing is stored, when: `access_token` is missing or has characters
 * outside RFC 6749 VSCHAR (CR, LF, non-Latin-1…); `token_type` is not an HTTP auth scheme;
 * `expires_in` is not a number (or numeric string) from 0 to {@link MAX_EXPIRES_IN_SECONDS};
 * the body nests deeper than 32 levels or has a `__proto__`, `constructor` or `prototype` key.
 * @param nowMs - epoch milliseconds the response was received
 * @param requestedScopes - the scopes of the authorization request, for a code exchange
 * @throws AuthManagerError `INVALID_TOKEN_RESPONSE` as above, or when the provider's
 *   `validateTokenResponse` hook rejects it
 */
export function credentialsFromTokenResponse(rt: ProviderRuntime, response: Record<string, unknown>, nowMs: number, previous?: Credentials<object>, requestedScopes?: readonly string[]): Credentials<object> {
  const shape = jsonShapeProblem(response);
  if (shape) throw invalidResponse(rt, `the token response ${shape}`);
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(response)) if (typeof v !== 'function') raw[k] = v;
  rt.definition.oauth2?.hooks?.validateTokenResponse?.(raw, rt.context);
  if (typeof raw.access_token !== 'string' || raw.access_token === '') throw invalidResponse(rt, 'the token response has no access_token');
  if (!isValidAccessToken(raw.access_token)) {
    throw invalidResponse(rt, 'the access_token has characters that cannot be sent in an HTTP header (RFC 6749 Appendix A.12 allows %x20-7E)');
  }
  if (raw.token_type !== undefined && !isValidTokenType(raw.token_type)) {
    throw invalidResponse(rt, 'token_type is not an HTTP authentication scheme (RFC 9110 §5.6.2)');
  }
  const expiresIn = lifetimeSeconds(rt, raw.expires_in, 'expires_in');
  // An API base URL the token response names (Pipedrive `api_domain`) must be a declared host when
  // it arrives: refused here, nothing is stored (it is checked again before every use).
  const baseField = rt.definition.api?.baseUrlFromTokenResponse;
  if (baseField !== undefined && raw[baseField] !== undefined && !isAllowedBaseUrl(rt, raw[baseField])) {
    const host = typeof raw[baseField] === 'string' && URL.canParse(raw[baseField]) ? ` (${new URL(raw[baseField]).host})` : '';
    throw invalidResponse(rt, `${baseField} is not among the provider's declared API hosts${host}`);
  }
  const extraKeys = rt.definition.userCredentials?.extras ?? [];
  const declaredField = rt.definition.oauth2?.tokenResponse?.refreshTokenExpiresInField;
  const extras: Record<string, unknown> = { ...(previous?.extras ?? {}) };
  for (const key of extraKeys) if (raw[key] !== undefined) extras[key] = raw[key];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!TYPED_FIELDS.has(k) && !extraKeys.includes(k) && k !== declaredField) rest[k] = v;
  const lifetime = expiresIn ?? rt.defaultLifetimeSeconds();
  const tokenType = typeof raw.token_type === 'string' && raw.token_type.toLowerCase() !== 'bearer' ? raw.token_type : 'Bearer';
  const refreshToken = typeof raw.refresh_token === 'string' && raw.refresh_token !== '' ? raw.refresh_token : previous?.refreshToken;
  const idToken = typeof raw.id_token === 'string' ? raw.id_token : previous?.idToken;
  let refreshTokenExpiresAt: Date | undefined;
  for (const field of declaredField !== undefined ? [declaredField, ...REFRESH_TOKEN_LIFETIME_FIELDS] : REFRESH_TOKEN_LIFETIME_FIELDS) {
    if (raw[field] === undefined) continue;
    const seconds = lifetimeSeconds(rt, raw[field], field);
    if (seconds !== undefined) refreshTokenExpiresAt = new Date(nowMs + seconds * 1000);
    break;
  }
  // A refresh that keeps the refresh token keeps what was known of its lifetime.
  if (refreshTokenExpiresAt === undefined && previous !== undefined && refreshToken === previous.refreshToken) {
    refreshTokenExpiresAt = previous.refreshTokenExpiresAt;
  }
  // A documented maximum lifetime of the chain counts from the authorization: refreshes keep it.
  const maxLifetime = rt.definition.oauth2?.refreshTokenMaxLifetimeSeconds;
  if (maxLifetime !== undefined && refreshToken !== undefined) {
    const cap = previous?.refreshTokenExpiresAt ?? (previous === undefined ? new Date(nowMs + maxLifetime * 1000) : undefined);
    if (cap !== undefined && (refreshTokenExpiresAt === undefined || cap < refreshTokenExpiresAt)) refreshTokenExpiresAt = cap;
  }
  const granted = rt.splitScopes(raw.scope);
  const scopes = granted ?? previous?.scopes ?? (requestedScopes && requestedScopes.length > 0 ? requestedScopes : undefined);
  return new Credentials({
    accessToken: raw.access_token,
    tokenType,
    ...(refreshToken !== undefined ? { refreshToken } : {}),
    ...(idToken !== undefined ? { idToken } : {}),
    ...(scopes !== undefined ? { scopes } : {}),
    ...(lifetime !== undefined ? { expiresAt: new Date(nowMs + lifetime * 1000) } : {}),
    obtainedAt: new Date(nowMs),
    extras,
    raw: rest,
    ...(refreshTokenExpiresAt !== undefined ? { refreshTokenExpiresAt } : {}),
  });
}

/** A lifetime field in seconds: a number or digit string from 0 to {@link MAX_EXPIRES_IN_SECONDS}. */
function lifetimeSeconds(rt: ProviderRuntime, value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > MAX_EXPIRES_IN_SECONDS) {
    throw invalidResponse(rt, `${field} must be a number of seconds from 0 to ${MAX_EXPIRES_IN_SECONDS}`);
  }
  return n;
}

function invalidResponse(rt: ProviderRuntime, what: string): AuthManagerError {
  return new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${rt.id}: ${what}`, { provider: rt.id });
}

function isAllowedBaseUrl(rt: ProviderRuntime, value: unknown): boolean {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  // Checked before the credential exists: the configured base is resolved with a placeholder one.
  return matchesOriginPattern(value, baseUrlOrigins(rt, new Credentials({ accessToken: 'x' })) ?? []);
}
