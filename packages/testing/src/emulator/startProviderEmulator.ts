import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { AnyProviderDefinition, AppCredentialsInput, BasicEncoding, ConnectionConfig } from '@authmanager/core';
import { fillHeaderValues } from '@authmanager/core/provider';
import { approve } from './approve.js';
import { checkClientAuthentication } from './clientAuthentication.js';
import { presentedCredential } from './credentialPlacement.js';
import { objectWithPaths } from './dottedPath.js';
import { GrantStore, type Consent, type IssuedTokens } from './GrantStore.js';
import { IdTokenSigner } from './idTokens.js';
import { layoutFor, type LoopbackLayout } from './loopbackLayout.js';
import { sendJson, startLoopbackServer } from './loopbackServer.js';
import { verifyS256 } from './pkce.js';
import { BodyTooLargeError, readBody, type RequestBody } from './readBody.js';
import { RequestLog, type EmulatorEndpoint, type EmulatorRequest, type InjectedFailure } from './RequestLog.js';
import { safeEqual } from './safeEqual.js';
import { sendTokenError, shapeTokenResponse } from './tokenAnswers.js';
import { flatHeaders, sendFailure } from './httpAnswers.js';

/** Never fetched: the emulator only puts it in the `Location` header. */
export const EMULATOR_REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** Options of {@link startProviderEmulator}. */
export interface ProviderEmulatorOptions {
  /** @default a random `client_…` */
  readonly clientId?: string;
  /** @default a random `secret_…` */
  readonly clientSecret?: string;
  /** The one registered redirect URI (RFC 6749 §3.1.2). @default {@link EMULATOR_REDIRECT_URI} */
  readonly redirectUri?: string;
  /** Values of the connection variables (per-tenant hosts). @default each variable's `example` (else a value matching its pattern) */
  readonly connectionConfig?: ConnectionConfig;
  /** Values of template variables that come from app credentials. @default each variable's `example`, else its `default`, else a value matching its pattern */
  readonly appVariables?: Readonly<Record<string, string>>;
  /** Who consents: the identity endpoint, UserInfo and ID tokens say so. @default `{ id: 'user-1', label: 'ada@example.test' }` */
  readonly account?: { readonly id: string; readonly label?: string };
  /** The scopes the provider knows; others are `invalid_scope`. @default any scope token (RFC 6749 §3.3 syntax) */
  readonly scopes?: readonly string[];
  /**
   * @default the definition's `defaultAccessTokenLifetimeSeconds` (when a number); else, when the
   * definition says `expires_in: 0` means never (`tokenResponse.zeroExpiresInMeansNever`), tokens that
   * never expire, sent with `expires_in: 0`; else 3600
   */
  readonly accessTokenLifetimeSeconds?: number;
  /** Sent as `refresh_token_expires_in` (or the declared field). @default none; 60 days when the definition declares a field */
  readonly refreshTokenLifetimeSeconds?: number;
  /** @default true */
  readonly issueRefreshTokens?: boolean;
  /** What a `code_challenge`/`code_verifier` gets from a provider declared without PKCE. @default 'refuse' (`invalid_request`) */
  readonly unsupportedPkce?: 'refuse' | 'ignore';
  /** Static credentials the API accepts (API keys; RFC 7617 `base64(username:password)` for Basic). @default one random */
  readonly staticTokens?: readonly string[];
  /** @default 65536 */
  readonly maxBodyBytes?: number;
  /** A fixed port (for a definition that must name the emulator's origin in `baseUrlOrigins`). @default a free one */
  readonly port?: number;
  /** The emulator's clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** A running provider emulator: what to hand the factory, the URLs, and the one control vocabulary. */
/**
 * What every emulator offers (the generic one and the first-party ones): where it runs, what to hand
 * the provider factory, who consents, and the one control vocabulary.
 * @typeParam E - its endpoint names
 * @typeParam R - what its request log records
 * @typeParam A - the app credentials that point the factory at it
 */
export interface EmulatorControls<E extends string, R, A> {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Pass straight to the factory: `factory(emu.appCredentials)`. Every URL field is on loopback. */
  readonly appCredentials: A;
  /** For `authorize({ connectionConfig })`: the tenant values the emulator answers for (empty without tenants). */
  readonly connectionConfig: ConnectionConfig;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** Who consents next: the identity endpoint, UserInfo and ID tokens say so. */
  readonly account: { readonly id: string; readonly label: string };
  /** Static credentials the API accepts. */
  readonly staticTokens: readonly string[];
  /** The requests received (by one endpoint, when given), oldest first. */
  requests(endpoint?: E): R[];
  requestCount(endpoint?: E): number;
  /** Empties the request log (tokens and grants stay). */
  clearRequests(): void;
  /** The next request to `endpoint` gets this answer instead (queued in order). */
  failNext(endpoint: E, failure: InjectedFailure): void;
  /** Plays the browser and consent: returns the callback URL the authorize endpoint redirects to. */
  approve(authorizationUrl: URL | string): Promise<string>;
  close(): Promise<void>;
}

/** A running provider emulator built from a definition (see {@link startProviderEmulator}). */
export interface ProviderEmulator<D extends AnyProviderDefinition = AnyProviderDefinition>
  extends EmulatorControls<EmulatorEndpoint, EmulatorRequest, AppCredentialsInput<D['appCredentials']>> {
  readonly definition: D;
  /** Filled endpoint URLs (for the example tenant); `api` is a sample API URL. */
  readonly endpoints: Readonly<Partial<Record<EmulatorEndpoint, string>>>;
}

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 NQCHAR
const random = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;

/**
 * Starts an emulator of the provider a definition describes, on 127.0.0.1: authorize, token (code,
 * refresh, client credentials when declared), revocation, introspection, identity, UserInfo, OpenID
 * discovery and JWKS, and the API, each behaving as the definition's declared quirks say and
 * refusing what the real provider refuses (a form body at a JSON endpoint, a client secret sent the
 * undeclared way, a missing or wrong PKCE verifier, a redirect URI that does not match, a scope
 * joined with the wrong separator, a dead refresh token, a token at another tenant's host).
 *
 * Every distinct real origin of the definition becomes a path prefix named after its host, so
 * per-tenant templates (`https://{subdomain}.zendesk.com/…`) stay templates on loopback.
 *
 * @param definition - `factory.definition`
 * @returns the running emulator; `close()` it
 * @throws AuthManagerError `CONFIGURATION` when the definition's app credentials do not resolve
 * @example
 * ```ts
 * const acme = oauth2({ id: 'acme', displayName: 'Acme', authorizationEndpoint: 'https://acme.test/authorize', tokenEndpoint: 'https://acme.test/token' });
 * const emu = await startProviderEmulator(acme.definition);
 * const auth = new AuthManager({ providers: [acme(emu.appCredentials)], env: envFrom({}) });
 * const { url } = await auth.acme.oauth2.authorize({ subject: 'u1' });
 * await auth.acme.oauth2.complete({ callbackUrl: await emu.approve(url) });
 * await emu.close();
 * ```
 */
export async function startProviderEmulator<D extends AnyProviderDefinition>(definition: D, options: ProviderEmulatorOptions = {}): Promise<ProviderEmulator<D>> {
  const now = options.now ?? Date.now;
  const client = { clientId: options.clientId ?? random('client_'), clientSecret: options.clientSecret ?? random('secret_') };
  const redirectUri = options.redirectUri ?? EMULATOR_REDIRECT_URI;
  const account = { id: options.account?.id ?? 'user-1', label: options.account?.label ?? 'ada@example.test' };
  const staticTokens = options.staticTokens ?? [definition.appCredentials.username ? Buffer.from(`emulator:${random('')}`).toString('base64') : random('key_')];
  const spec = definition.oauth2;
  const separator = spec?.scopeSeparator ?? ' ';
  const pkceRequired = spec !== undefined && (spec.pkce !== false || spec.clientAuthentication === 'none');
  const refusePkce = !pkceRequired && options.unsupportedPkce !== 'ignore';
  const log = new RequestLog();
  const signer = spec?.openid ? await IdTokenSigner.create() : undefined;
  let layout: LoopbackLayout | undefined;
  let grants: GrantStore | undefined;

  const server = await startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const endpoint = routeOf(url.pathname);
    let body: RequestBody;
    try { body = await readBody(req, options.maxBodyBytes); } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'invalid_request', error_description: err.message });
      throw err;
    }
    const params = req.method === 'GET' ? Object.fromEntries(url.searchParams) : body.params;
    log.record({ endpoint, method: req.method ?? 'GET', path: req.url ?? '/', headers: flatHeaders(req), body: body.raw, params });
    const failure = log.takeFailure(endpoint);
    if (failure) return sendFailure(res, failure);
    const r = { req, res, url, body, params };
    switch (endpoint) {
      case 'authorize': return authorize(r);
      case 'token': return token(r);
      case 'revocation': return revoke(r);
      case 'introspection': return introspect(r);
      case 'discovery': return sendJson(res, 200, discovery());
      case 'jwks': return sendJson(res, 200, signer?.jwks() ?? { keys: [] });
      case 'userinfo': case 'identity': case 'api': return api(endpoint, r);
      default: return sendJson(res, 404, { error: 'not_found', error_description: `no endpoint at ${url.pathname} (another tenant's host?)` });
    }
  }, options.port);

  try {
    layout = layoutFor(definition, { origin: server.origin, ...client, redirectUri, staticTokens, ...options.connectionConfig ? { connectionConfig: options.connectionConfig } : {}, ...options.appVariables ? { appVariables: options.appVariables } : {} });
  } catch (err) {
    // The server is already listening: a definition the emulator cannot lay out must not leave it open.
    await server.close();
    throw err;
  }
  const { urls, apiBaseUrl } = layout;
  const declaredLifetime = typeof spec?.defaultAccessTokenLifetimeSeconds === 'function' ? spec.defaultAccessTokenLifetimeSeconds(layout.app as never) : spec?.defaultAccessTokenLifetimeSeconds;
  const refreshTokenSeconds = options.refreshTokenLifetimeSeconds ?? (spec?.tokenResponse?.refreshTokenExpiresInField ? 60 * 86400 : undefined);
  const neverExpires = options.accessTokenLifetimeSeconds === undefined && declaredLifetime === undefined && spec?.tokenResponse?.zeroExpiresInMeansNever === true;
  const refreshChainSeconds = spec?.refreshTokenMaxLifetimeSeconds;
  grants = new GrantStore({
    accessTokenSeconds: neverExpires ? Infinity : options.accessTokenLifetimeSeconds ?? declaredLifetime ?? 3600, codeSeconds: 600,
    ...(refreshTokenSeconds !== undefined ? { refreshTokenSeconds } : {}),
    ...(refreshChainSeconds !== undefined ? { refreshChainSeconds } : {}),
  }, now);
  const app = layout.app;
  /** Declared headers with their `{field}` / `{field?}` placeholders filled as core fills them. */
  const filled = (headers: Readonly<Record<string, string>> | undefined) => (headers ? fillHeaderValues(definition.id, headers, app) : undefined);
  const tokenHeaders = filled(spec?.tokenRequest?.headers);
  const tokenBasic: BasicEncoding = spec?.tokenRequest?.basicEncoding ?? 'rfc6749';
  const paths = new Map<string, EmulatorEndpoint>(Object.entries(urls).map(([k, v]) => [new URL(v).pathname, k as EmulatorEndpoint]));
  const apiPath = apiBaseUrl ? new URL(apiBaseUrl).pathname.replace(/\/$/, '') : undefined;

  function routeOf(pathname: string): EmulatorEndpoint {
    const exact = paths.get(pathname);
    if (exact) return exact;
    return apiPath !== undefined && (pathname === apiPath || pathname.startsWith(`${apiPath}/`)) ? 'api' : 'unknown';
  }

  type Call = { req: IncomingMessage; res: ServerResponse; url: URL; body: RequestBody; params: Readonly<Record<string, string>> };

  /** RFC 6749 §4.1.1: errors about the client or redirect URI are not redirected (§4.1.2.1); the rest are. */
  function authorize({ res, params: q }: Call): void {
    if (!spec) return sendJson(res, 404, { error: 'not_found' });
    if (q.client_id !== client.clientId) return sendJson(res, 400, { error: 'invalid_request', error_description: 'unknown client_id' });
    if ((q.redirect_uri ?? redirectUri) !== redirectUri) return sendJson(res, 400, { error: 'invalid_request', error_description: 'redirect_uri is not registered' });
    const back = (answer: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries({ ...answer, ...(q.state !== undefined ? { state: q.state } : {}) })) target.searchParams.set(k, v);
      res.writeHead(302, { location: target.href }).end();
    };
    const refuse = (error: string, description: string) => back({ error, error_description: description });
    if (q.response_type !== 'code') return refuse('unsupported_response_type', 'response_type must be code');
    const scopes = (q.scope ?? '').split(separator).filter((s) => s !== '');
    const bad = scopes.find((s) => !SCOPE_TOKEN.test(s) || (options.scopes !== undefined && !options.scopes.includes(s)));
    if (bad !== undefined) return refuse('invalid_scope', `unknown scope ${JSON.stringify(bad)} (scopes are joined with ${JSON.stringify(separator)})`);
    if (spec.openid && !scopes.includes('openid')) return refuse('invalid_scope', 'the openid scope is required');
    const extra = typeof spec.authorizationParams === 'function' ? spec.authorizationParams(layout!.app as never, { scopes }) : spec.authorizationParams ?? {};
    const missing = Object.entries(extra).find(([k, v]) => q[k] !== v);
    if (missing) return refuse('invalid_request', `${missing[0]} must be ${JSON.stringify(missing[1])}`);
    if (pkceRequired && q.code_challenge === undefined) return refuse('invalid_request', 'code_challenge required (RFC 7636 §4.4.1)');
    if (pkceRequired && q.code_challenge_method !== 'S256') return refuse('invalid_request', 'code_challenge_method must be S256');
    if (refusePkce && q.code_challenge !== undefined) return refuse('invalid_request', 'this provider does not support PKCE');
    const consent: Consent = {
      clientId: client.clientId, scopes,
      ...(q.redirect_uri !== undefined ? { redirectUri: q.redirect_uri } : {}),
      ...(pkceRequired ? { codeChallenge: q.code_challenge! } : {}),
      ...(q.nonce !== undefined ? { nonce: q.nonce } : {}),
    };
    back({ code: grants!.issueCode(consent) });
  }

  /** Checks method, body format, required headers and client authentication; false after answering. */
  function preamble(c: Call, how: { method: string; format: 'form' | 'json'; headers?: Readonly<Record<string, string>> | undefined; auth: NonNullable<typeof spec>['clientAuthentication'] | 'skip' | 'anonymous'; basicEncoding?: BasicEncoding; tokenEndpoint?: boolean }): boolean {
    const errors = how.tokenEndpoint ? spec?.tokenErrors : undefined;
    if (c.req.method !== how.method) { sendJson(c.res, 405, { error: 'invalid_request', error_description: `use ${how.method}` }, { allow: how.method }); return false; }
    if (c.body.format !== how.format) {
      sendTokenError(c.res, errors, 400, 'invalid_request', `the body must be ${how.format === 'json' ? 'a JSON object (application/json)' : 'form-encoded (application/x-www-form-urlencoded)'}`);
      return false;
    }
    const header = Object.entries(how.headers ?? {}).find(([k, v]) => c.req.headers[k.toLowerCase()] !== v);
    if (header) { sendTokenError(c.res, errors, 400, 'invalid_request', `header ${header[0]}: ${header[1]} required`); return false; }
    const failure = how.auth === 'skip' ? undefined
      : how.auth === 'anonymous' ? anonymousRequest(c)
        : checkClientAuthentication(how.auth, c.req.headers.authorization, c.params, client, how.basicEncoding ?? tokenBasic);
    if (failure) { sendTokenError(c.res, errors, failure.status, failure.error, failure.description); return false; }
    return true;
  }

  /** A request that identifies no client (`anonymous` revocation): a client id or secret sent anyway is refused. */
  function anonymousRequest(c: Call) {
    if (/^Basic\b/i.test(c.req.headers.authorization ?? '') || c.params.client_id !== undefined || c.params.client_secret !== undefined) {
      return { status: 400 as const, error: 'invalid_request' as const, description: 'this endpoint takes the token alone, no client authentication' };
    }
    return undefined;
  }

  async function token(c: Call): Promise<void> {
    if (!spec) return sendJson(c.res, 404, { error: 'not_found' });
    const p = c.params;
    const fail = (status: number, error: string, description: string, about?: 'refresh' | 'code') => sendTokenError(c.res, spec.tokenErrors, status, error, description, about);
    if (!preamble(c, { method: 'POST', format: spec.tokenRequest?.bodyFormat ?? 'form', auth: spec.clientAuthentication, tokenEndpoint: true, headers: tokenHeaders })) return;
    // tokenRequest.params: the provider needs them on the code exchange and on refresh (Shopify `expiring=1`).
    const withoutParam = p.grant_type === 'authorization_code' || p.grant_type === 'refresh_token'
      ? Object.entries(spec.tokenRequest?.params ?? {}).find(([k, v]) => p[k] !== v) : undefined;
    if (withoutParam) return fail(400, 'invalid_request', `${withoutParam[0]} must be ${JSON.stringify(withoutParam[1])}`);
    if (p.grant_type === 'authorization_code') {
      const consent = grants!.redeemCode(p.code);
      if (!consent) return fail(400, 'invalid_grant', 'the authorization code is unknown, used or expired', 'code');
      if (consent.redirectUri !== undefined && p.redirect_uri !== consent.redirectUri) return fail(400, 'invalid_grant', 'redirect_uri does not match the authorization request', 'code');
      if (consent.codeChallenge !== undefined && !verifyS256(p.code_verifier, consent.codeChallenge)) return fail(400, 'invalid_grant', 'PKCE verification failed (RFC 7636 §4.6)', 'code');
      if (refusePkce && p.code_verifier !== undefined) return fail(400, 'invalid_request', 'this provider does not support PKCE (code_verifier sent)');
      return sendJson(c.res, 200, await tokenResponse(grants!.open(consent, true, options.issueRefreshTokens ?? true)));
    }
    if (p.grant_type === 'refresh_token') {
      const issued = grants!.refresh(p.refresh_token, spec.refreshTokenRotation ?? 'undocumented');
      if (!issued) return fail(400, 'invalid_grant', 'the refresh token is unknown, revoked, rotated away or expired', 'refresh');
      return sendJson(c.res, 200, await tokenResponse(issued));
    }
    if (p.grant_type === 'client_credentials' && spec.clientCredentials) {
      if (spec.clientAuthentication === 'none') return fail(400, 'unauthorized_client', 'a public client cannot use client credentials');
      const missing = Object.entries(spec.clientCredentials.params ?? {}).find(([k, v]) => p[k] !== v);
      if (missing) return fail(400, 'invalid_request', `${missing[0]} must be ${JSON.stringify(missing[1])}`);
      const scopes = (p.scope ?? '').split(separator).filter((s) => s !== '');
      return sendJson(c.res, 200, await tokenResponse(grants!.open({ clientId: client.clientId, scopes }, false, false)));
    }
    return fail(400, 'unsupported_grant_type', `grant_type ${JSON.stringify(p.grant_type)} is not supported`);
  }

  async function tokenResponse(issued: IssuedTokens): Promise<Record<string, unknown>> {
    const { consent, user } = issued.grant;
    const identity = definition.identity;
    const extra = objectWithPaths([
      ...(identity && 'fromTokenResponse' in identity && user ? [[identity.fromTokenResponse.id, account.id], [identity.fromTokenResponse.label, account.label]] as const : []),
      [definition.api?.baseUrlFromTokenResponse, apiBaseUrl],
    ]);
    const idToken = signer && user && consent.scopes.includes('openid')
      ? await signer.sign({ iss: layout!.issuer ?? server.origin, sub: account.id, aud: client.clientId, azp: client.clientId, email: account.label, ...(consent.nonce ? { nonce: consent.nonce } : {}) }, 3600, now())
      : undefined;
    return shapeTokenResponse({
      access_token: issued.accessToken, token_type: 'Bearer',
      expires_in: declaredLifetime !== undefined ? undefined : neverExpires ? 0 : issued.expiresInSeconds,
      refresh_token: issued.refreshToken,
      scope: consent.scopes.length > 0 ? consent.scopes.join(separator) : undefined,
      id_token: idToken,
      refresh_token_expires_in: issued.refreshToken !== undefined ? refreshTokenSeconds : undefined,
    }, spec?.tokenResponse, extra);
  }

  /** RFC 7009, or the definition's RevocationSpec (method, token parameter, body format, client authentication, already-revoked statuses). */
  function revoke(c: Call): void {
    const rs = typeof spec?.revocation === 'object' ? spec.revocation : undefined;
    const method = rs?.method ?? 'POST';
    const auth = rs?.anonymous ? 'anonymous'
      : rs?.bearer && (rs.clientAuthentication ?? spec!.clientAuthentication) === 'client_secret_basic' ? 'skip' : rs?.clientAuthentication ?? spec!.clientAuthentication;
    // RFC 7009 goes through the token endpoint's pipe (its body format, headers and Basic encoding);
    // a RevocationSpec endpoint is a REST endpoint: its own format, the token endpoint's headers and
    // its own after them, Basic as-is (RFC 7617) unless declared otherwise.
    const how = rs
      ? { format: rs.bodyFormat ?? 'form', headers: { ...tokenHeaders, ...filled(rs.headers) }, basicEncoding: rs.basicEncoding ?? spec?.tokenRequest?.basicEncoding ?? 'rfc7617' }
      : { format: spec?.tokenRequest?.bodyFormat ?? 'form', headers: tokenHeaders, basicEncoding: tokenBasic };
    if (!preamble(c, { method, auth, ...how })) return;
    const presented = rs?.bearer ? /^Bearer (\S+)$/i.exec(c.req.headers.authorization ?? '')?.[1] : c.params[rs?.tokenParameter ?? 'token'];
    if (!presented) return sendTokenError(c.res, undefined, 400, 'invalid_request', `${rs?.bearer ? 'Authorization: Bearer' : rs?.tokenParameter ?? 'token'} required`);
    const hint = c.params.token_type_hint;
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') return sendJson(c.res, 400, { error: 'unsupported_token_type' });
    const revoked = grants!.revoke(presented, rs?.token === 'access_token' ? 'access_token' : undefined, rs !== undefined);
    if (revoked) return void c.res.writeHead(method === 'DELETE' ? 204 : 200).end();
    // A token that is not live: the provider's declared "already revoked" answer, else RFC 7009 §2.2's 200.
    if (rs?.alreadyRevokedErrors?.length) return sendJson(c.res, 400, { error: rs.alreadyRevokedErrors[0], error_description: 'the token is invalid, expired or revoked' });
    const status = rs?.alreadyRevokedStatuses?.[0];
    if (status === undefined) return void c.res.writeHead(200).end();
    sendJson(c.res, status, { error: 'invalid_token', message: 'the token is invalid, expired or revoked' });
  }

  /** RFC 7662 §2. */
  function introspect(c: Call): void {
    if (!preamble(c, { method: 'POST', format: spec!.tokenRequest?.bodyFormat ?? 'form', auth: spec!.clientAuthentication, headers: tokenHeaders })) return;
    const t = c.params.token;
    const grant = grants!.accessGrant(t) ?? grants!.refreshGrant(t);
    if (!grant) return sendJson(c.res, 200, { active: false });
    const exp = grants!.accessExpiresAtSeconds(t!);
    sendJson(c.res, 200, {
      active: true, client_id: grant.consent.clientId, scope: grant.consent.scopes.join(' '), token_type: 'Bearer',
      ...(grant.user ? { sub: account.id } : {}), ...(exp !== undefined ? { exp } : {}),
    });
  }

  /** The API, the identity endpoint and UserInfo: the credential where the definition puts it, else `tokenRejected`. */
  function api(endpoint: 'api' | 'identity' | 'userinfo', c: Call): void {
    const binding = definition.api;
    const credential = presentedCredential(endpoint === 'userinfo' ? undefined : binding?.credentialPlacement, c.req, c.url);
    const live = grants!.accessGrant(credential)?.user === true || staticTokens.some((t) => safeEqual(t, credential));
    const identity = definition.identity;
    if (endpoint === 'api' && binding?.headers) {
      const headers = typeof binding.headers === 'function' ? binding.headers({ app: app as never, credentials: { extras: {} } as never }) : filled(binding.headers)!;
      const missing = Object.entries(headers).find(([k, v]) => c.req.headers[k.toLowerCase()] !== v);
      if (missing) return sendJson(c.res, 400, { error: 'invalid_request', error_description: `header ${missing[0]}: ${missing[1]} required` });
    }
    if (endpoint === 'identity' && identity && 'endpoint' in identity) {
      const method = identity.method ?? (identity.body !== undefined ? 'POST' : 'GET');
      if (c.req.method !== method) return sendJson(c.res, 405, { error: 'method_not_allowed', error_description: `use ${method}` }, { allow: method });
      // A declared body (a GraphQL query) must arrive as that JSON object: a GraphQL endpoint answers nothing else.
      if (identity.body !== undefined && (c.body.format !== 'json' || !isDeepStrictEqual(JSON.parse(c.body.raw), identity.body))) {
        return sendJson(c.res, 400, { errors: [{ message: `the body must be the JSON ${JSON.stringify(identity.body)}` }] });
      }
    }
    if (!live) {
      const rejected = endpoint === 'userinfo' ? undefined : binding?.tokenRejected;
      const status = rejected?.statuses[0] ?? 401;
      return sendJson(c.res, status, { error: rejected?.bodyIncludes ?? 'invalid_token', error_description: 'the credential is missing, invalid, revoked or expired' },
        status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {});
    }
    if (endpoint === 'api') return sendJson(c.res, 200, { ok: true, method: c.req.method, path: c.url.pathname, account: account.id });
    const spec = identity && 'endpoint' in identity ? identity : identity && 'userinfo' in identity ? identity.userinfo : undefined;
    // An id path starting with an index (`0.id`) means the provider answers a list (Atlassian's accessible resources).
    const base = endpoint === 'userinfo' ? { sub: account.id, email: account.label, name: account.label } : /^\d+\./.test(spec?.id ?? '') ? [] as unknown as Record<string, unknown> : {};
    sendJson(c.res, 200, objectWithPaths([[spec?.id ?? (endpoint === 'identity' ? 'id' : undefined), account.id], [spec?.label, account.label]], base));
  }

  /** OpenID Connect Discovery 1.0 §3. */
  function discovery(): Record<string, unknown> {
    return {
      issuer: layout!.issuer, authorization_endpoint: urls.authorize, token_endpoint: urls.token, jwks_uri: urls.jwks, userinfo_endpoint: urls.userinfo,
      ...(urls.revocation ? { revocation_endpoint: urls.revocation } : {}), ...(urls.introspection ? { introspection_endpoint: urls.introspection } : {}),
      response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: [spec!.clientAuthentication],
      grant_types_supported: ['authorization_code', 'refresh_token', ...(spec!.clientCredentials ? ['client_credentials'] : [])],
    };
  }

  return {
    origin: server.origin,
    definition,
    appCredentials: layout.appCredentials as AppCredentialsInput<D['appCredentials']>,
    connectionConfig: layout.connectionConfig,
    ...client,
    redirectUri,
    endpoints: { ...urls, ...(apiBaseUrl ? { api: `${apiBaseUrl}/__emulator/sample` } : {}) },
    account,
    staticTokens,
    requests: (endpoint) => log.requests(endpoint),
    requestCount: (endpoint) => log.requestCount(endpoint),
    clearRequests: () => log.clearRequests(),
    failNext: (endpoint, failure) => log.failNext(endpoint, failure),
    approve,
    close: () => server.close(),
  };
}

