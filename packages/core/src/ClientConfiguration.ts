import * as oauth from 'openid-client';
import { requireAppField } from './AppCredentials.js';
import { AuthManagerError } from './AuthManagerError.js';
import { readBoundedBody } from './BoundedBody.js';
import { ErrorCode } from './ErrorCode.js';
import { matchesOriginPattern } from './OriginPattern.js';
import { mapProviderError } from './mapProviderError.js';
import { applyRequestQuirks, applyTokenResponseQuirks } from './OAuthEndpointQuirks.js';
import type { ConnectionConfig, OAuthHttpRequest } from './ProviderDefinition.js';
import type { ProviderRuntime } from './ProviderRuntime.js';

/**
 * Building a provider's openid-client `Configuration`: discovery or explicit metadata, client
 * authentication, loopback `http` for the sandbox and emulators, the request timeout, ID-token
 * signature checks, and the request pipe through the provider's hooks with a cap on response bodies.
 */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Statuses whose responses have no body (the Fetch standard's null-body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The provider's openid-client configuration (metadata discovered for OIDC issuers).
 * @throws AuthManagerError `CONFIGURATION` | `PROVIDER_UNAVAILABLE`
 */
export async function createClientConfiguration(rt: ProviderRuntime, connection: ConnectionConfig = {}): Promise<oauth.Configuration> {
  const spec = rt.oauth2;
  const app = rt.app;
  const clientId = requireAppField(rt.id, rt.definition.appCredentials, 'clientId', app.clientId as string | undefined);
  const secret = spec.clientAuthentication === 'none'
    ? undefined
    : requireAppField(rt.id, rt.definition.appCredentials, 'clientSecret', app.clientSecret as string | undefined);
  const clientAuth = spec.clientAuthentication === 'client_secret_basic' ? oauth.ClientSecretBasic(secret)
    : spec.clientAuthentication === 'client_secret_post' ? oauth.ClientSecretPost(secret)
      : oauth.None();
  const server = spec.server(app, connection);
  const pipe = customFetch(rt, server.discovery ? undefined : server.tokenEndpoint);
  let config: oauth.Configuration;
  if (server.discovery) {
    const issuer = new URL(server.issuer);
    try {
      config = await oauth.discovery(issuer, clientId, secret, clientAuth, {
        ...(isLoopbackHttp(issuer) ? { execute: [oauth.allowInsecureRequests] } : {}),
        [oauth.customFetch]: pipe,
        timeout: rt.timeoutMs / 1000,
      });
    } catch (err) {
      throw mapProviderError(err, rt.id, 'discovery');
    }
    if (server.endpointOrigins !== undefined) checkDiscoveredOrigins(rt.id, config.serverMetadata(), [issuer.origin, ...server.endpointOrigins]);
  } else {
    const metadata: oauth.ServerMetadata = {
      issuer: server.issuer ?? new URL(server.tokenEndpoint).origin,
      authorization_endpoint: server.authorizationEndpoint,
      token_endpoint: server.tokenEndpoint,
      ...(server.revocationEndpoint ? { revocation_endpoint: server.revocationEndpoint } : {}),
      ...(server.introspectionEndpoint ? { introspection_endpoint: server.introspectionEndpoint } : {}),
      ...(server.userinfoEndpoint ? { userinfo_endpoint: server.userinfoEndpoint } : {}),
      ...(server.jwksUri ? { jwks_uri: server.jwksUri } : {}),
      ...(server.deviceAuthorizationEndpoint ? { device_authorization_endpoint: server.deviceAuthorizationEndpoint } : {}),
    };
    config = new oauth.Configuration(metadata, clientId, secret, clientAuth);
    if (isLoopbackHttp(new URL(server.tokenEndpoint))) oauth.allowInsecureRequests(config);
    config[oauth.customFetch] = pipe;
  }
  config.timeout = rt.timeoutMs / 1000;
  // OpenID Connect Core §3.1.3.7 allows trusting TLS instead of the ID token's signature; we
  // verify it against the JWKS anyway, so a token that did not come from the issuer is refused.
  if (spec.openid) oauth.enableNonRepudiationChecks(config);
  return config;
}

/**
 * openid-client's request pipe: the declared quirks ({@link applyRequestQuirks},
 * {@link applyTokenResponseQuirks}) and then the provider's `prepareRequest` / `processResponse` hooks.
 * @param tokenEndpoint - the token endpoint, when known before discovery; else taken from the
 *   discovered metadata when the first request goes out
 */
function customFetch(rt: ProviderRuntime, tokenEndpoint: string | undefined): oauth.CustomFetch {
  const spec = rt.oauth2;
  const hooks = spec.hooks;
  let token = tokenEndpoint === undefined ? undefined : new URL(tokenEndpoint).href;
  return async (url, options) => {
    const target = new URL(url);
    let request: OAuthHttpRequest = applyRequestQuirks(spec, {
      url: target,
      init: { ...(options as RequestInit), headers: new Headers(options.headers as HeadersInit) },
    }, rt.id, rt.app, token !== undefined && target.href === token);
    if (hooks?.prepareRequest) request = await hooks.prepareRequest(request, rt.context);
    let response = await readCapped(await rt.fetch(request.url, request.init), rt.maxResponseBytes, rt.id);
    if (token === undefined && request.url.pathname.endsWith('/.well-known/openid-configuration') && response.ok) {
      const metadata = await response.clone().json().catch(() => undefined) as { token_endpoint?: unknown } | undefined;
      if (typeof metadata?.token_endpoint === 'string' && URL.canParse(metadata.token_endpoint)) token = new URL(metadata.token_endpoint).href;
    }
    if (token !== undefined && request.url.href === token) response = await applyTokenResponseQuirks(spec, response);
    return hooks?.processResponse ? hooks.processResponse(response, request, rt.context) : response;
  };
}

/**
 * Reads a response body up to `maxBytes` and hands back an equivalent response. openid-client reads
 * token, discovery, JWKS and userinfo bodies whole; a provider (or anything posing as one) must not be
 * able to make us buffer an unbounded body.
 * @throws AuthManagerError `INVALID_TOKEN_RESPONSE` when the body is larger
 */
export async function readCapped(response: Response, maxBytes: number, provider: string): Promise<Response> {
  if (response.body === null || NULL_BODY_STATUSES.has(response.status)) return response;
  const tooLarge = () => new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE,
    `${provider}: the response body is larger than ${maxBytes} bytes (maxResponseBytes)`, { provider, status: response.status });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const copy = new Response(await readBoundedBody(response.body, maxBytes, tooLarge), { status: response.status, statusText: response.statusText, headers: response.headers });
  // openid-client checks `response.url` in places (and hooks may read it): keep it.
  Object.defineProperty(copy, 'url', { value: response.url });
  return copy;
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}


/** Metadata fields that name an endpoint a request (and so a secret or token) may go to. */
const ENDPOINT_FIELDS = [
  'authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'userinfo_endpoint',
  'jwks_uri', 'device_authorization_endpoint', 'pushed_authorization_request_endpoint',
] as const;

/**
 * A discovery document may name endpoints only within the server's declared origins: a tampered or
 * misdirected document must not send the client secret, a code or a token elsewhere.
 * @throws AuthManagerError `PROVIDER_UNAVAILABLE` naming the field (not its value)
 */
function checkDiscoveredOrigins(provider: string, metadata: oauth.ServerMetadata, origins: readonly string[]): void {
  for (const field of ENDPOINT_FIELDS) {
    const value = metadata[field];
    if (typeof value === 'string' && !matchesOriginPattern(value, origins)) {
      throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${provider}: the discovery document's ${field} is outside the provider's declared origins`, { provider });
    }
  }
}
