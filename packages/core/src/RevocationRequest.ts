import { AuthManagerError } from './AuthManagerError.js';
import { fillHeaderValues, requireAppField } from './AppCredentials.js';
import type { Credentials } from './Credentials.js';
import { ErrorCode } from './ErrorCode.js';
import { retryAfterSeconds } from './mapProviderError.js';
import { scrubMessage } from './RedactedCause.js';
import { connectionConfigOf } from './UrlTemplate.js';
import type { AnyAppCredentials, OAuthHttpRequest, RevocationSpec } from './ProviderDefinition.js';
import type { ProviderRuntime } from './ProviderRuntime.js';
import { readCapped } from './ClientConfiguration.js';

/**
 * Revocation as a {@link RevocationSpec} declares it: one request to the declared endpoint with the
 * chosen token, body format and client authentication; 2xx or a declared "already revoked" status
 * is success. The request passes through the same declared quirks and `prepareRequest` hook as the
 * token endpoint's requests (an API-version header, say).
 *
 * Basic client authentication encodes the id and secret as the spec's `basicEncoding` says (RFC 7617
 * as they are, or RFC 6749 §2.3.1 form-encoded exactly as openid-client does at the token endpoint).
 * @param token - the token to send
 * @throws AuthManagerError `REVOCATION_FAILED` (another 4xx, with the OAuth `error` when the body
 *   has one) | `RATE_LIMITED` (429, with `retryAfterSeconds`) | `PROVIDER_UNAVAILABLE` (5xx, network,
 *   timeout) | `CONFIGURATION` (client id or secret missing)
 */
export async function sendRevocation(rt: ProviderRuntime, spec: RevocationSpec<AnyAppCredentials>, credentials: Credentials<object>, token: string, tokenTypeHint: 'access_token' | 'refresh_token'): Promise<void> {
  const app = rt.app;
  const method = spec.clientAuthentication ?? rt.oauth2.clientAuthentication;
  const clientId = spec.anonymous ? undefined : requireAppField(rt.id, rt.definition.appCredentials, 'clientId', app.clientId as string | undefined);
  const secret = spec.anonymous || method === 'none' ? undefined : requireAppField(rt.id, rt.definition.appCredentials, 'clientSecret', app.clientSecret as string | undefined);
  let endpoint = typeof spec.endpoint === 'function' ? spec.endpoint(app, connectionConfigOf(credentials.extras)) : spec.endpoint;
  if (clientId !== undefined) endpoint = endpoint.replaceAll('{client_id}', encodeURIComponent(clientId));
  const params: Record<string, string> = { [spec.tokenParameter ?? 'token']: token };
  if (spec.tokenTypeHint) params.token_type_hint = tokenTypeHint;
  // The token endpoint's declared headers first, the revocation's own after them (they win).
  const headers = new Headers({ accept: 'application/json', ...fillHeaderValues(rt.id, rt.oauth2.tokenRequest?.headers ?? {}, app), ...fillHeaderValues(rt.id, spec.headers ?? {}, app) });
  if (clientId === undefined) {
    // anonymous: the token alone
  } else if (method === 'client_secret_basic') {
    const encode = (spec.basicEncoding ?? rt.oauth2.tokenRequest?.basicEncoding ?? 'rfc7617') === 'rfc6749' ? formUrlEncode : (v: string) => v;
    headers.set('authorization', `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret!)}`).toString('base64')}`);
  } else {
    params.client_id = clientId;
    if (secret !== undefined) params.client_secret = secret;
  }
  if (spec.bearer) headers.set('authorization', `Bearer ${credentials.accessToken}`);
  const json = spec.bodyFormat === 'json';
  headers.set('content-type', json ? 'application/json' : 'application/x-www-form-urlencoded');
  let request: OAuthHttpRequest = {
    url: new URL(endpoint),
    init: { method: spec.method ?? 'POST', headers, body: json ? JSON.stringify(params) : new URLSearchParams(params).toString(), signal: AbortSignal.timeout(rt.timeoutMs) },
  };
  const hook = rt.oauth2.hooks?.prepareRequest;
  if (hook) request = await hook(request, rt.context);
  let response: Response;
  try {
    response = await readCapped(await rt.fetch(request.url, request.init), rt.maxResponseBytes, rt.id);
  } catch (cause) {
    if (AuthManagerError.is(cause)) throw cause;
    throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${rt.id} revoke: provider unreachable or timed out`, { cause, provider: rt.id });
  }
  if (response.ok || spec.alreadyRevokedStatuses?.includes(response.status)) return;
  const body = await response.json().catch(() => undefined) as { error?: unknown; error_description?: unknown } | undefined;
  if (response.status >= 400 && response.status < 500 && typeof body?.error === 'string' && spec.alreadyRevokedErrors?.includes(body.error)) return;
  const error = typeof body?.error === 'string' ? scrubMessage(body.error.slice(0, 200)) : undefined;
  const base = { provider: rt.id, status: response.status, ...(error ? { oauth: { error } } : {}) };
  if (response.status === 429) {
    const seconds = retryAfterSeconds(response.headers);
    throw new AuthManagerError(ErrorCode.RATE_LIMITED, `${rt.id} revoke: provider answered HTTP 429; try again later`, { ...base, ...(seconds !== undefined ? { retryAfterSeconds: seconds } : {}) });
  }
  const code = response.status >= 500 ? ErrorCode.PROVIDER_UNAVAILABLE : ErrorCode.REVOCATION_FAILED;
  throw new AuthManagerError(code, `${rt.id} revoke: provider answered HTTP ${response.status}${error ? ` (${error})` : ''}`, base);
}

/**
 * RFC 6749 §2.3.1 / Appendix B `application/x-www-form-urlencoded` of a client id or secret, as openid-client
 * encodes them for `client_secret_basic` (`-`, `_`, `.`, `!`, `~`, `*`, `'`, `(`, `)` escaped too,
 * space as `+`).
 */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/(?:[-_.!~*'()]|%20)/g, (c) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
}
