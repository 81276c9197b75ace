import type { BasicEncoding, ClientAuthenticationMethod } from '@authmanager/core';
import { safeEqual } from './safeEqual.js';

/** The client an emulator accepts. */
export interface EmulatedClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Why client authentication failed: an RFC 6749 §5.2 error and the status to send it with. */
export interface ClientAuthenticationFailure {
  readonly status: 400 | 401;
  readonly error: 'invalid_request' | 'invalid_client';
  readonly description: string;
}

/**
 * The id and secret of an `Authorization: Basic` header. `rfc6749` (RFC 6749 §2.3.1): they were
 * form-urlencoded before being joined, so they are decoded; `rfc7617`: the server takes them as they
 * are (RFC 7617 §2), so a form-encoded `client_x` arrives as `client%5Fx` and does not match.
 */
function decodeBasic(authorization: string | undefined, encoding: BasicEncoding): { id: string; secret: string } | undefined {
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  if (encoding === 'rfc7617') return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  try {
    const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch { return undefined; }
}

/**
 * Checks client authentication at a token, revocation or introspection endpoint the way the
 * declared method allows and no other: `client_secret_basic` refuses a `client_secret` in the body,
 * `client_secret_post` refuses an `Authorization: Basic` header (RFC 6749 §2.3: a client MUST NOT
 * use more than one method), `none` refuses both and needs `client_id` in the body.
 * @param method - the definition's declared method
 * @param authorization - the request's `Authorization` header
 * @param params - the body's parameters
 * @param basicEncoding - how the server reads HTTP Basic (see {@link decodeBasic}) @default 'rfc6749'
 * @returns undefined when the client authenticated as declared
 * @see RFC 6749 §2.3.1, OpenID Connect Core §9
 */
export function checkClientAuthentication(
  method: ClientAuthenticationMethod, authorization: string | undefined, params: Readonly<Record<string, string>>, client: EmulatedClient,
  basicEncoding: BasicEncoding = 'rfc6749',
): ClientAuthenticationFailure | undefined {
  const refuse = (status: 400 | 401, error: ClientAuthenticationFailure['error'], description: string) => ({ status, error, description });
  const hasBasic = /^Basic\b/i.test(authorization ?? '');
  if (params.client_id !== undefined && params.client_id !== client.clientId) return refuse(401, 'invalid_client', 'unknown client_id');
  if (method === 'client_secret_basic') {
    if (params.client_secret !== undefined) return refuse(400, 'invalid_request', 'client_secret_basic: the client secret must not be in the body');
    const basic = decodeBasic(authorization, basicEncoding);
    if (!basic) return refuse(401, 'invalid_client', 'client_secret_basic: HTTP Basic authentication required');
    return basic.id === client.clientId && safeEqual(basic.secret, client.clientSecret) ? undefined : refuse(401, 'invalid_client', 'client authentication failed');
  }
  if (hasBasic) return refuse(400, 'invalid_request', `${method}: HTTP Basic authentication is not accepted`);
  if (params.client_id === undefined) return refuse(401, 'invalid_client', `${method}: client_id required in the body`);
  if (method === 'none') return params.client_secret === undefined ? undefined : refuse(400, 'invalid_request', 'none: a public client sends no secret');
  return safeEqual(params.client_secret, client.clientSecret) ? undefined : refuse(401, 'invalid_client', 'client authentication failed');
}
