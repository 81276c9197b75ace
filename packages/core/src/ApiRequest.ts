import { fillHeaderValues, fillPathValues } from './AppCredentials.js';
import { AuthManagerError } from './AuthManagerError.js';
import type { Credentials } from './Credentials.js';
import { ErrorCode } from './ErrorCode.js';
import { matchesOriginPattern } from './OriginPattern.js';
import type { ProviderRuntime } from './ProviderRuntime.js';

/**
 * Where a base URL from the credentials may point: the binding's `baseUrlOrigins`, plus, for
 * `baseUrlFromTokenResponse`, the origin of the configured base URL (pointing the API base at a
 * proxy or an emulator is the application's own choice).
 */
export function baseUrlOrigins(rt: ProviderRuntime, credentials: Credentials<object>): readonly string[] | undefined {
  const binding = rt.definition.api!;
  const declared = typeof binding.baseUrlOrigins === 'function' ? binding.baseUrlOrigins({ app: rt.app }) : binding.baseUrlOrigins;
  if (binding.baseUrlFromTokenResponse === undefined) return declared;
  try {
    const configured = typeof binding.baseUrl === 'function' ? binding.baseUrl({ app: rt.app, credentials }) : binding.baseUrl;
    return [...(declared ?? []), new URL(configured).origin];
  } catch { return declared; }
}

/** Each runtime's `allowedOrigins`, normalized by the URL parser once. */
const ALLOWED = new WeakMap<ProviderRuntime, ReadonlySet<string>>();

/**
 * The absolute URL an API call goes to. `path` is resolved against the binding's base URL by the
 * WHATWG URL parser first (which turns `\\` into `/`, drops tabs and newlines, strips leading
 * spaces and C0 controls, lower-cases and punycodes hosts, drops default ports), and only then
 * checked: the token goes only to the base URL's origin or one of the binding's `allowedOrigins`,
 * never to a URL with userinfo. A path starting with one `/` is relative to the base URL's path
 * (`/users` on `https://api.notion.com/v1` is `https://api.notion.com/v1/users`).
 * @throws AuthManagerError `CONFIGURATION` when the URL is not parseable or leaves the allowed
 *   origins, or when the configured base URL is outside the binding's `baseUrlOrigins`
 *   | `INVALID_STORED_CREDENTIALS` when the base URL the credential holds (`baseUrlFromTokenResponse`)
 *   is not a URL or is outside `baseUrlOrigins` (the record is unusable: connect the subject again)
 *   | `UNSUPPORTED_FLOW` when the provider has no API binding
 */
export function resolveApiUrl(rt: ProviderRuntime, path: string, credentials: Credentials<object>): URL {
  const binding = rt.definition.api;
  if (!binding) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${rt.id}" has no API binding`, { provider: rt.id });
  const fromResponse = binding.baseUrlFromTokenResponse === undefined ? undefined : (credentials.extras as Record<string, unknown>)[binding.baseUrlFromTokenResponse];
  const stored = fromResponse !== undefined && fromResponse !== '';
  const unusable = (what: string) => new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS,
    `${rt.id}: the credential's ${binding.baseUrlFromTokenResponse} ${what}; the access token is not sent there. Connect the subject again`, { provider: rt.id });
  if (stored && typeof fromResponse !== 'string') throw unusable('is not a URL');
  const base = stored ? `${(fromResponse as string).replace(/\/+$/, '')}${fillPathValues(rt.id, binding.baseUrlPath ?? '', rt.app)}`
    : typeof binding.baseUrl === 'function' ? binding.baseUrl({ app: rt.app, credentials }) : binding.baseUrl;
  let baseUrl: URL;
  try { baseUrl = new URL(base.endsWith('/') ? base : `${base}/`); } catch {
    if (stored) throw unusable('is not a URL');
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `${rt.id}: the API base URL is not a URL`, { provider: rt.id });
  }
  const declared = baseUrlOrigins(rt, credentials);
  if (declared !== undefined && !matchesOriginPattern(baseUrl, declared)) {
    if (stored) throw unusable(`(${baseUrl.host}) is not among the provider's declared API hosts`);
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `${rt.id}: refusing to send the access token to ${baseUrl.origin}, which is not among the provider's declared API hosts`, { provider: rt.id });
  }
  // One leading "/" means "below the base path"; "//" or "/\\" is a network-path reference that the
  // parser resolves to another host, and the origin check below refuses it.
  const relative = /^\/(?![/\\])/.test(path) ? path.slice(1) : path;
  let url: URL;
  try { url = new URL(relative, baseUrl); } catch {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `${rt.id}: the API path is not a valid URL reference`, { provider: rt.id });
  }
  if (url.username !== '' || url.password !== '') {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `${rt.id}: refusing to send the access token to a URL with userinfo`, { provider: rt.id });
  }
  if (url.origin !== baseUrl.origin && !allowedOrigins(rt).has(url.origin)) {
    const shown = url.origin === 'null' ? `a ${url.protocol} URL` : url.origin;
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `${rt.id}: refusing to send the access token to ${shown}, outside the provider's API (${baseUrl.origin})`, { provider: rt.id });
  }
  return url;
}

/** The binding's `allowedOrigins`, each normalized by the URL parser (computed once). */
function allowedOrigins(rt: ProviderRuntime): ReadonlySet<string> {
  const known = ALLOWED.get(rt);
  if (known) return known;
  const binding = rt.definition.api;
  const extra = typeof binding?.allowedOrigins === 'function' ? binding.allowedOrigins({ app: rt.app }) : (binding?.allowedOrigins ?? []);
  const origins = new Set<string>();
  for (const o of extra) {
    try { const origin = new URL(o).origin; if (origin !== 'null') origins.add(origin); } catch { /* not a URL: allows nothing */ }
  }
  ALLOWED.set(rt, origins);
  return origins;
}

/** The binding's extra headers for an API call. */
export function apiRequestHeaders(rt: ProviderRuntime, credentials: Credentials<object>): Readonly<Record<string, string>> {
  const h = rt.definition.api?.headers;
  return typeof h === 'function' ? h({ app: rt.app, credentials }) : h ? fillHeaderValues(rt.id, h, rt.app) : {};
}

/**
 * Puts the credential on an API request where the binding's `credentialPlacement` says: by default
 * `Authorization: <token_type> <token>` (RFC 6750 §2.1); or a named header with a format
 * (`x-api-key: {token}`, `Basic {token}` with base64); or a query parameter (RFC 6750 §2.3 style).
 * Credentials hold only VSCHAR tokens and RFC 9110 schemes (checked when built), so setting the
 * header cannot throw an error that quotes the token.
 * @returns the URL to send to (a copy when a query parameter was added)
 */
export function placeCredential(rt: ProviderRuntime, credentials: Credentials<object>, url: URL, headers: Headers): URL {
  const placement = rt.definition.api?.credentialPlacement;
  if (placement === undefined) {
    headers.set('authorization', `${credentials.tokenType} ${credentials.accessToken}`);
    return url;
  }
  if (placement.in === 'query') {
    const withKey = new URL(url);
    withKey.searchParams.set(placement.name, credentials.accessToken);
    return withKey;
  }
  const token = placement.base64 ? Buffer.from(credentials.accessToken, 'utf8').toString('base64') : credentials.accessToken;
  headers.set(placement.name, (placement.format ?? '{token}').replaceAll('{token_type}', credentials.tokenType).replaceAll('{token}', token));
  return url;
}
