import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { approve } from '../emulator/approve.js';
import { GrantStore, type Consent, type Grant, type IssuedTokens } from '../emulator/GrantStore.js';
import { toLoopback } from '../emulator/loopbackLayout.js';
import { sendJson, startLoopbackServer } from '../emulator/loopbackServer.js';
import { BodyTooLargeError, readBody } from '../emulator/readBody.js';
import { RequestLog, type EmulatorEndpoint, type EmulatorRequest, type InjectedFailure } from '../emulator/RequestLog.js';
import { safeEqual } from '../emulator/safeEqual.js';
import { EMULATOR_REDIRECT_URI } from '../emulator/startProviderEmulator.js';
import { flatHeaders, sendFailure } from '../emulator/httpAnswers.js';
import type { EmulatorControls } from '../emulator/startProviderEmulator.js';

/**
 * An emulator of Notion's public-connection OAuth endpoints and one API endpoint, on 127.0.0.1,
 * built on the emulator kit (loopback server, body reader, grant store, request log). Each real
 * URL sits below a path named after its host (`https://api.notion.com/v1/oauth/token` →
 * `http://127.0.0.1:PORT/api.notion.com/v1/oauth/token`), as for every emulator of the kit.
 *
 * Wire behaviour reproduced (developers.notion.com "Authorization" guide and the reference pages
 * "Create a token", "Refresh a token", "Revoke a token", "Introspect a token", "Versioning"):
 * - `GET /v1/oauth/authorize` needs `client_id`, `response_type=code`, `owner=user` and the
 *   registered `redirect_uri` (else `400`); it auto-approves and answers `302` to
 *   `redirect_uri?code=…&state=…`.
 * - `POST /v1/oauth/token`, `/v1/oauth/revoke`, `/v1/oauth/introspect` need a known `Notion-Version`
 *   (`400 missing_version` / `validation_error`), HTTP Basic `client_id:client_secret` compared as
 *   sent (RFC 7617: a form-encoded `%2D` is a wrong client id) and a JSON body: no Basic, wrong
 *   credentials or a non-JSON (form) body is `401`.
 * - Token responses have no `expires_in`; they carry `bot_id`, `workspace_id`, `workspace_name`,
 *   `workspace_icon`, `owner`, `duplicated_template_id`, `request_id`, and `refresh_token: null`
 *   when none was issued. A refresh rotates both tokens (the old refresh and access tokens die);
 *   a used or dead refresh token is `invalid_grant`. Introspection answers `{ active, iat? }`.
 * - `GET /v1/users/me` needs `Notion-Version` and `Authorization: Bearer` with a live access token
 *   or an internal integration token; otherwise Notion's error object with `401 unauthorized`.
 *
 * Assumptions where Notion documents nothing: revoking an unknown token answers 200 (RFC 7009 §2.2);
 * revoking either token of a grant ends the whole grant.
 */

/** The endpoints the request log names (the kit's names). `api` is every path below `/v1` but OAuth's. */
export type NotionEmulatorEndpoint = Extract<EmulatorEndpoint, 'authorize' | 'token' | 'revocation' | 'introspection' | 'api' | 'unknown'>;

/** One request as the emulator received it. */
export type NotionEmulatorRequest = EmulatorRequest;

/** A workspace a user can connect: Notion answers with its bot and workspace fields. */
export interface NotionEmulatorWorkspace {
  /** `workspace_id`. */
  readonly id: string;
  /** `workspace_name`. */
  readonly name: string;
  /** `workspace_icon` (URL, emoji or `null`). */
  readonly icon: string | null;
  /** `bot_id`: the connection's bot user in this workspace (stable across re-authorizations). */
  readonly botId: string;
  /** The person who approves the connection (`owner.user`). */
  readonly user: { readonly id: string; readonly name: string; readonly email: string };
}

/** Options of {@link startNotionEmulator}. */
export interface NotionEmulatorOptions {
  /** OAuth client id accepted. @default a random UUID (it has `-`, which form-encoding would turn into `%2D`) */
  readonly clientId?: string;
  /** OAuth client secret accepted. @default a random `secret_…` */
  readonly clientSecret?: string;
  /** The registered redirect URI. @default {@link EMULATOR_REDIRECT_URI} */
  readonly redirectUri?: string;
  /** Workspaces a user can pick at consent. @default two generated workspaces */
  readonly workspaces?: readonly NotionEmulatorWorkspace[];
  /** Internal integration tokens the API accepts (static-token mode). @default one random `ntn_…` */
  readonly staticTokens?: readonly string[];
  /** Refresh rotates the refresh token (Notion does). @default true */
  readonly rotateRefreshTokens?: boolean;
  /** Issue refresh tokens; when false, token responses carry `refresh_token: null`. @default true */
  readonly issueRefreshTokens?: boolean;
  /** The emulator's clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** App credentials for `notion(...)`: the client, and every endpoint on the emulator. */
export interface NotionEmulatorAppCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly introspectionUrl: string;
  /** `http://127.0.0.1:PORT/api.notion.com/v1`. */
  readonly apiBaseUrl: string;
}

/** A running emulator: what to hand the factory, the kit's controls, and Notion's own switches. */
export interface NotionEmulator extends EmulatorControls<NotionEmulatorEndpoint, NotionEmulatorRequest, NotionEmulatorAppCredentials> {
  /** Endpoint URLs; `api` is `GET /v1/users/me`. */
  readonly endpoints: Readonly<Record<Exclude<NotionEmulatorEndpoint, 'unknown'>, string>>;
  /** The bot and workspace the next authorization connects (see {@link NotionEmulator.consentAs}). */
  readonly account: { readonly id: string; readonly label: string };
  /** The internal integration tokens the API accepts. */
  readonly staticTokens: readonly string[];
  readonly workspaces: readonly NotionEmulatorWorkspace[];
  /** The workspace the next authorizations connect. @param workspaceId - one of `workspaces[].id` */
  consentAs(workspaceId: string): void;
  /** Kills every access token issued so far (refresh tokens stay valid): the next API call gets 401. */
  expireAccessTokens(): void;
  /** Turns refresh-token rotation on or off. */
  setRefreshTokenRotation(rotate: boolean): void;
  /** Whether a token (access or refresh) is live. */
  isTokenActive(token: string): boolean;
  /** The workspace of the grant a live token belongs to. */
  workspaceOf(token: string): NotionEmulatorWorkspace | undefined;
}

const AUTHORIZATION_URL = 'https://api.notion.com/v1/oauth/authorize';
const TOKEN_URL = 'https://api.notion.com/v1/oauth/token';
const REVOCATION_URL = 'https://api.notion.com/v1/oauth/revoke';
const INTROSPECTION_URL = 'https://api.notion.com/v1/oauth/introspect';
const API_BASE_URL = 'https://api.notion.com/v1';

/** API versions the emulator accepts (developers.notion.com/reference/changes-by-version). */
const KNOWN_VERSIONS = new Set(['2021-05-11', '2021-05-13', '2021-08-16', '2022-02-22', '2022-06-28', '2025-09-03', '2026-03-11']);

/** Notion's tokens do not expire: a lifetime no test outlives. */
const NEVER_SECONDS = 100 * 365 * 86400;

function defaultWorkspaces(): NotionEmulatorWorkspace[] {
  return [
    { id: randomUUID(), name: 'Acme HQ', icon: 'https://www.notion.so/images/acme.png', botId: randomUUID(), user: { id: randomUUID(), name: 'Ada Lovelace', email: 'ada@acme.test' } },
    { id: randomUUID(), name: 'Side Project', icon: null, botId: randomUUID(), user: { id: randomUUID(), name: 'Ada Lovelace', email: 'ada@side.test' } },
  ];
}

/**
 * Starts a Notion emulator on `127.0.0.1` (a free port).
 *
 * @param options - accepted client, redirect URI, workspaces, switches
 * @returns the running emulator; `close()` it when done
 * @example
 * ```ts
 * const emu = await startNotionEmulator();
 * const auth = new AuthManager({ providers: [notion(emu.appCredentials)] });
 * const { url } = await auth.notion.oauth2.authorize({ subject: 'user-1' });
 * await auth.notion.oauth2.complete({ callbackUrl: await emu.approve(url) });
 * emu.requestCount('token'); // 1
 * await emu.close();
 * ```
 */
export async function startNotionEmulator(options: NotionEmulatorOptions = {}): Promise<NotionEmulator> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? randomUUID();
  const clientSecret = options.clientSecret ?? `secret_${randomUUID().replaceAll('-', '')}`;
  const redirectUri = options.redirectUri ?? EMULATOR_REDIRECT_URI;
  const workspaces = [...(options.workspaces ?? defaultWorkspaces())];
  const staticTokens = [...(options.staticTokens ?? [`ntn_${randomUUID().replaceAll('-', '')}`])];
  const issueRefreshTokens = options.issueRefreshTokens ?? true;
  let rotate = options.rotateRefreshTokens ?? true;
  let consentWorkspace = workspaces[0];
  if (!consentWorkspace) throw new Error('startNotionEmulator: at least one workspace is needed');

  const log = new RequestLog();
  const grants = new GrantStore({ accessTokenSeconds: NEVER_SECONDS, codeSeconds: 600 }, now);
  // What Notion keeps with a grant beyond the kit's: the workspace, when its tokens were issued, its access token.
  const workspaceOfConsent = new WeakMap<Consent, NotionEmulatorWorkspace>();
  const issuedAtSeconds = new WeakMap<Grant, number>();
  const accessTokenOf = new WeakMap<Grant, string>();
  const liveAccessTokens = new Set<string>();

  const issued = (tokens: IssuedTokens): Record<string, unknown> => {
    const previous = accessTokenOf.get(tokens.grant);
    if (previous !== undefined) { grants.revoke(previous, 'access_token'); liveAccessTokens.delete(previous); }
    accessTokenOf.set(tokens.grant, tokens.accessToken);
    liveAccessTokens.add(tokens.accessToken);
    issuedAtSeconds.set(tokens.grant, Math.floor(now() / 1000));
    const ws = workspaceOfConsent.get(tokens.grant.consent)!;
    return {
      access_token: tokens.accessToken, token_type: 'bearer', refresh_token: tokens.grant.refreshToken ?? null,
      bot_id: ws.botId, workspace_name: ws.name, workspace_icon: ws.icon, workspace_id: ws.id, owner: ownerOf(ws),
      duplicated_template_id: null, request_id: randomUUID(),
    };
  };

  const server = await startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const endpoint = routeOf(url.pathname);
    let body;
    try { body = await readBody(req); } catch (err) {
      if (err instanceof BodyTooLargeError) return notionError(res, 413, 'invalid_request', err.message);
      throw err;
    }
    const params = req.method === 'GET' ? Object.fromEntries(url.searchParams) : body.params;
    log.record({ endpoint, method: req.method ?? 'GET', path: req.url ?? '/', headers: flatHeaders(req), body: body.raw, params });
    const failure = log.takeFailure(endpoint);
    if (failure) return sendFailure(res, failure);
    const expected = endpoint === 'authorize' || endpoint === 'api' ? 'GET' : 'POST';
    if (endpoint === 'unknown' || req.method !== expected || (endpoint === 'api' && url.pathname !== paths.usersMe)) {
      return notionError(res, 404, 'invalid_request_url', 'Invalid request URL.');
    }
    if (endpoint === 'authorize') return authorize(params, res);
    if (!checkVersion(req, res)) return;
    if (endpoint === 'api') return usersMe(req, res);
    // OAuth POSTs: Basic client_id:client_secret as sent (RFC 7617), then a JSON object body.
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!safeEqual(basic && Buffer.from(basic, 'base64').toString('utf8'), `${clientId}:${clientSecret}`)) {
      return oauthError(res, 401, 'invalid_client', 'Client authentication failed: use HTTP Basic with client_id:client_secret.');
    }
    if (body.format !== 'json') return oauthError(res, 401, 'invalid_request', 'The request body must be a JSON object.');
    if (endpoint === 'token') return token(body.params, res);
    const presented = body.params.token;
    if (!presented) return oauthError(res, 400, 'invalid_request', 'body.token should be defined.');
    if (endpoint === 'revocation') {
      grants.revoke(presented, undefined, true);
      return sendJson(res, 200, { request_id: randomUUID() });
    }
    const grant = grants.accessGrant(presented) ?? grants.refreshGrant(presented);
    sendJson(res, 200, grant ? { active: true, iat: issuedAtSeconds.get(grant), request_id: randomUUID() } : { active: false, request_id: randomUUID() });
  });

  const loopback = (real: string) => toLoopback(real, server.origin)!;
  const appCredentials: NotionEmulatorAppCredentials = {
    clientId, clientSecret, redirectUri,
    authorizationUrl: loopback(AUTHORIZATION_URL), tokenUrl: loopback(TOKEN_URL), revocationUrl: loopback(REVOCATION_URL),
    introspectionUrl: loopback(INTROSPECTION_URL), apiBaseUrl: loopback(API_BASE_URL),
  };
  const pathOf = (u: string) => new URL(u).pathname;
  const paths = {
    authorize: pathOf(appCredentials.authorizationUrl), token: pathOf(appCredentials.tokenUrl), revocation: pathOf(appCredentials.revocationUrl),
    introspection: pathOf(appCredentials.introspectionUrl), api: pathOf(appCredentials.apiBaseUrl), usersMe: `${pathOf(appCredentials.apiBaseUrl)}/users/me`,
  };

  function routeOf(pathname: string): NotionEmulatorEndpoint {
    const exact = (['authorize', 'token', 'revocation', 'introspection'] as const).find((e) => paths[e] === pathname);
    return exact ?? (pathname.startsWith(`${paths.api}/`) ? 'api' : 'unknown');
  }

  function authorize(q: Readonly<Record<string, string>>, res: ServerResponse): void {
    if (q.client_id !== clientId) return notionError(res, 400, 'validation_error', 'Invalid client_id.');
    if (q.response_type !== 'code') return notionError(res, 400, 'validation_error', 'response_type should be "code".');
    if (q.owner !== 'user') return notionError(res, 400, 'validation_error', 'owner should be "user".');
    if ((q.redirect_uri ?? redirectUri) !== redirectUri) return notionError(res, 400, 'validation_error', 'Invalid redirect_uri.');
    const consent: Consent = { clientId, scopes: [], ...(q.redirect_uri !== undefined ? { redirectUri: q.redirect_uri } : {}) };
    workspaceOfConsent.set(consent, consentWorkspace!);
    const target = new URL(redirectUri);
    target.searchParams.set('code', grants.issueCode(consent));
    if (q.state !== undefined) target.searchParams.set('state', q.state);
    res.writeHead(302, { location: target.href }).end();
  }

  function token(p: Readonly<Record<string, string>>, res: ServerResponse): void {
    if (p.grant_type === 'authorization_code') {
      const consent = grants.redeemCode(p.code);
      if (!consent) return oauthError(res, 400, 'invalid_grant', 'Invalid code.');
      if (consent.redirectUri !== undefined && p.redirect_uri !== consent.redirectUri) {
        return oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
      }
      return sendJson(res, 200, issued(grants.open(consent, true, issueRefreshTokens)));
    }
    if (p.grant_type === 'refresh_token') {
      const refreshed = grants.refresh(p.refresh_token, rotate ? 'rotates' : 'reuses');
      if (!refreshed) return oauthError(res, 400, 'invalid_grant', 'Invalid refresh token.');
      return sendJson(res, 200, issued(refreshed));
    }
    oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be "authorization_code" or "refresh_token".');
  }

  function usersMe(req: IncomingMessage, res: ServerResponse): void {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (staticTokens.some((t) => safeEqual(t, bearer))) {
      return sendJson(res, 200, {
        object: 'user', id: 'internal-integration-bot', name: 'Internal integration', avatar_url: null, type: 'bot',
        bot: { owner: { type: 'workspace', workspace: true }, workspace_name: workspaces[0]!.name }, request_id: randomUUID(),
      });
    }
    const grant = grants.accessGrant(bearer);
    if (!grant) return notionError(res, 401, 'unauthorized', 'API token is invalid.');
    const ws = workspaceOfConsent.get(grant.consent)!;
    sendJson(res, 200, {
      object: 'user', id: ws.botId, name: 'Connection bot', avatar_url: null, type: 'bot',
      bot: { owner: ownerOf(ws), workspace_name: ws.name }, request_id: randomUUID(),
    });
  }

  const liveGrant = (t: string) => grants.accessGrant(t) ?? grants.refreshGrant(t);
  return {
    origin: server.origin,
    appCredentials,
    connectionConfig: {},
    clientId,
    clientSecret,
    redirectUri,
    endpoints: {
      authorize: appCredentials.authorizationUrl, token: appCredentials.tokenUrl, revocation: appCredentials.revocationUrl,
      introspection: appCredentials.introspectionUrl, api: `${appCredentials.apiBaseUrl}/users/me`,
    },
    get account() { return { id: consentWorkspace!.botId, label: consentWorkspace!.name }; },
    staticTokens,
    workspaces,
    requests: (endpoint) => log.requests(endpoint),
    requestCount: (endpoint) => log.requestCount(endpoint),
    clearRequests: () => log.clearRequests(),
    failNext: (endpoint, failure) => log.failNext(endpoint, failure),
    approve,
    consentAs: (workspaceId) => {
      const ws = workspaces.find((w) => w.id === workspaceId);
      if (!ws) throw new Error(`startNotionEmulator: no workspace ${workspaceId}`);
      consentWorkspace = ws;
    },
    expireAccessTokens: () => {
      for (const t of liveAccessTokens) grants.revoke(t, 'access_token');
      liveAccessTokens.clear();
    },
    setRefreshTokenRotation: (on) => { rotate = on; },
    isTokenActive: (t) => liveGrant(t) !== undefined,
    workspaceOf: (t) => { const g = liveGrant(t); return g && workspaceOfConsent.get(g.consent); },
    close: () => server.close(),
  };
}

/** `owner` of a token response: the person who approved. */
function ownerOf(ws: NotionEmulatorWorkspace) {
  return {
    type: 'user',
    user: { object: 'user', id: ws.user.id, name: ws.user.name, avatar_url: null, type: 'person', person: { email: ws.user.email } },
  };
}


/** `Notion-Version` is required on every request but the browser's authorize hop. */
function checkVersion(req: IncomingMessage, res: ServerResponse): boolean {
  const version = req.headers['notion-version'];
  if (version === undefined) {
    notionError(res, 400, 'missing_version', 'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.');
    return false;
  }
  if (typeof version !== 'string' || !KNOWN_VERSIONS.has(version)) {
    notionError(res, 400, 'validation_error', `Notion-Version header failed validation: unknown version ${JSON.stringify(version)}.`);
    return false;
  }
  return true;
}

/** Notion's API error object (developers.notion.com/reference/status-codes). */
function notionError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { object: 'error', status, code, message, request_id: randomUUID() });
}

/** OAuth endpoints answer RFC 6749 §5.2 errors. */
function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description, request_id: randomUUID() });
}
