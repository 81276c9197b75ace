import { fillHeaderValues } from './AppCredentials.js';
import type { OAuthHttpRequest, OAuth2Spec } from './ProviderDefinition.js';

/**
 * The quirk vocabulary applied on the wire: what a definition declares about its OAuth endpoints
 * ({@link OAuth2Spec.tokenRequest}, `tokenResponse`, `tokenErrors`), done to the requests openid-client
 * builds and the responses it is about to parse. Providers' code hooks run after these.
 */

/** The part of a spec these functions read. */
type Quirks = Pick<OAuth2Spec<unknown>, 'tokenRequest' | 'tokenResponse' | 'tokenErrors'>;

/**
 * Request side: a JSON body instead of the form openid-client sends (`tokenRequest.bodyFormat: 'json'`),
 * the declared headers, and, for the token endpoint (`toTokenEndpoint`), the declared extra parameters.
 */
export function applyRequestQuirks(spec: Quirks, request: OAuthHttpRequest, provider: string, app: Readonly<Record<string, unknown>>, toTokenEndpoint = false): OAuthHttpRequest {
  const tokenRequest = spec.tokenRequest;
  if (!tokenRequest) return request;
  const headers = request.init.headers;
  for (const [name, value] of Object.entries(fillHeaderValues(provider, tokenRequest.headers ?? {}, app))) headers.set(name, value);
  if (tokenRequest.basicEncoding === 'rfc7617' && /^basic /i.test(headers.get('authorization') ?? '')) {
    // openid-client form-encodes (RFC 6749 §2.3.1); this server compares them as they are (RFC 7617).
    headers.set('authorization', `Basic ${Buffer.from(`${String(app.clientId)}:${String(app.clientSecret)}`).toString('base64')}`);
  }
  let body = request.init.body;
  const isForm = typeof body === 'string' || body instanceof URLSearchParams;
  if (toTokenEndpoint && tokenRequest.params && isForm) {
    const form = new URLSearchParams(body as string | URLSearchParams);
    for (const [name, value] of Object.entries(tokenRequest.params)) if (!RFC_TOKEN_PARAMETERS.has(name)) form.set(name, value);
    body = form.toString();
  }
  if (tokenRequest.bodyFormat !== 'json' || !isForm) return body === request.init.body ? request : { url: request.url, init: { ...request.init, body } };
  headers.set('content-type', 'application/json');
  return { url: request.url, init: { ...request.init, headers, body: JSON.stringify(Object.fromEntries(new URLSearchParams(body as string | URLSearchParams))) } };
}

/** RFC 6749 §4.1.3 / §6 / RFC 7636 parameters that `tokenRequest.params` cannot override. */
const RFC_TOKEN_PARAMETERS = new Set(['grant_type', 'code', 'redirect_uri', 'client_id', 'client_secret', 'refresh_token', 'code_verifier', 'scope', 'device_code']);

/**
 * Response side, for the token endpoint: errors sent with HTTP 200 become HTTP 400 (RFC 6749 §5.2),
 * error codes with a declared alias are renamed (the provider's code kept at the start of
 * `error_description`), fields at declared paths are lifted to the top level, and declared
 * `null` fields are dropped. A response that needs none of this is returned as it is.
 */
export async function applyTokenResponseQuirks(spec: Quirks, response: Response): Promise<Response> {
  const { tokenResponse, tokenErrors } = spec;
  if (!tokenResponse && !tokenErrors) return response;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return response;
  const parsed = await response.clone().json().catch(() => undefined) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return response;
  const body = { ...(parsed as Record<string, unknown>) };
  let status = response.status;
  let changed = false;
  if (typeof body.error === 'string') {
    if (tokenErrors?.sentWithHttp200 && status === 200) { status = 400; changed = true; }
    const alias = tokenErrors?.aliases?.[body.error];
    if (alias !== undefined && Object.hasOwn(tokenErrors!.aliases!, body.error)) {
      const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
      body.error_description = `${body.error}${description}`;
      body.error = alias;
      changed = true;
    }
  } else if (response.ok && tokenResponse) {
    for (const [field, path] of Object.entries(tokenResponse.paths ?? {})) {
      const value = valueAtPath(body, path);
      if (value === undefined || path === field) continue;
      // Moved, not copied: the credential keeps each secret once (the rest of the response is `raw`).
      withoutPath(body, path);
      body[field] = value;
      changed = true;
    }
    for (const field of tokenResponse.nullMeansAbsent ?? []) {
      if (body[field] === null) { delete body[field]; changed = true; }
    }
    if (tokenResponse.zeroExpiresInMeansNever && (body.expires_in === 0 || body.expires_in === '0')) { delete body.expires_in; changed = true; }
  }
  if (!changed) return response;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  const rewritten = new Response(JSON.stringify(body), { status, statusText: status === response.status ? response.statusText : 'Bad Request', headers });
  Object.defineProperty(rewritten, 'url', { value: response.url });
  return rewritten;
}

/**
 * The value at a dotted path (`authed_user.access_token`) of a parsed JSON value; `undefined` when
 * any step is missing. Own properties only, so `__proto__` and friends lead nowhere.
 */
export function valueAtPath(value: unknown, path: string): unknown {
  let at: unknown = value;
  for (const step of path.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, step)) return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

/** Removes the value at a dotted path, copying each object on the way so the parsed original is untouched. */
function withoutPath(root: Record<string, unknown>, path: string): void {
  const steps = path.split('.');
  let at = root;
  for (const step of steps.slice(0, -1)) {
    const next = at[step];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    at = at[step] = { ...(next as Record<string, unknown>) };
  }
  delete at[steps[steps.length - 1]!];
}
