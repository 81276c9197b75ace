import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An emulator of Notion's public-connection OAuth endpoints and one API endpoint, on 127.0.0.1.
 *
 * Wire behaviour reproduced (developers.notion.com "Authorization" guide and the reference pages
 * "Create a token", "Refresh a token", "Revoke a token", "Introspect a token", "Versioning"):
 * - `GET /v1/oauth/authorize` needs `client_id`, `response_type=code` and `owner=user`, and a
 *   registered `redirect_uri`; it auto-approves (no consent page) and answers `302` to
 *   `redirect_uri?code=…&state=…`, so a test follows it with `fetch(url, { redirect: 'manual' })`.
 * - `POST /v1/oauth/token`, `/v1/oauth/revoke`, `/v1/oauth/introspect` need a `Notion-Version`
 *   header (`400 missing_version` otherwise), HTTP Basic client authentication and a JSON body:
 *   no Basic, wrong credentials or a non-JSON (form) body is answered `401`.
 * - Token responses have no `expires_in`; they carry `bot_id`, `workspace_id`, `workspace_name`,
 *   `workspace_icon`, `owner`, `duplicated_template_id`, `request_id`. A refresh rotates both
 *   tokens (the old refresh and access tokens die); a used or dead refresh token is `invalid_grant`.
 * - `GET /v1/users/me` needs `Notion-Version` and `Authorization: Bearer` with a live access token
 *   or an internal integration token; otherwise Notion's error object with `401 unauthorized`.
 *
 * Assumptions where Notion documents nothing: revoking an unknown token answers 200 (RFC 7009 §2.2);
 * revoking either token of a grant ends the whole grant.
 */

/** The endpoints the emulator counts. */
export type NotionEmulatorEndpoint = 'authorize' | 'token' | 'revoke' | 'introspect' | 'users.me' | 'unknown';

/** One request as the emulator received it. */
export interface NotionEmulatorRequest {
  readonly endpoint: NotionEmulatorEndpoint;
  readonly method: string;
  /** Path and query, e.g. `/v1/oauth/authorize?client_id=…`. */
  readonly path: string;
  /** Header names lowercased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received (`''` when none). */
  readonly body: string;
}

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
  /** OAuth client id accepted. @default a random UUID */
  readonly clientId?: string;
  /** OAuth client secret accepted. @default a random `secret_…` */
  readonly clientSecret?: string;
  /** Registered redirect URIs. @default any `http(s)` URI is accepted */
  readonly redirectUris?: readonly string[];
  /** Workspaces a user can pick at consent. @default two generated workspaces */
  readonly workspaces?: readonly NotionEmulatorWorkspace[];
  /** Internal integration tokens the API accepts (static-token mode). @default one random `ntn_…` */
  readonly integrationTokens?: readonly string[];
  /** Refresh rotates the refresh token (Notion does). @default true */
  readonly rotateRefreshTokens?: boolean;
  /** Issue refresh tokens; when false, token responses carry `refresh_token: null`. @default true */
  readonly issueRefreshTokens?: boolean;
  /** Authorization-code lifetime, milliseconds. @default 600000 */
  readonly codeTtlMs?: number;
}

/** Endpoint URLs to hand to the `notion()` provider factory as app-credential overrides. */
export interface NotionEmulatorEndpoints {
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly introspectionUrl: string;
  /** `http://127.0.0.1:PORT/v1`. */
  readonly apiBaseUrl: string;
}

/** A running emulator: URLs, accepted credentials, request log and counters, switches. */
export interface NotionEmulator {
  /** `http://127.0.0.1:PORT`: the `baseUrl` of `@notionhq/client`'s `Client`. */
  readonly origin: string;
  /** Spread into `notion({...})`. */
  readonly endpoints: NotionEmulatorEndpoints;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The first accepted internal integration token. */
  readonly integrationToken: string;
  readonly workspaces: readonly NotionEmulatorWorkspace[];
  /** Every request received, oldest first. */
  readonly requests: readonly NotionEmulatorRequest[];
  /** Requests received per endpoint. */
  readonly counts: Readonly<Record<NotionEmulatorEndpoint, number>>;
  /** The requests received by one endpoint, oldest first. */
  requestsTo(endpoint: NotionEmulatorEndpoint): NotionEmulatorRequest[];
  /** Empties the request log and counters (tokens and grants stay). */
  clearLog(): void;
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
  /** Stops the server. */
  close(): Promise<void>;
}

interface Grant {
  readonly workspace: NotionEmulatorWorkspace;
  accessToken: string;
  refreshToken: string | undefined;
  issuedAtSeconds: number;
  active: boolean;
}

interface PendingCode {
  readonly grantWorkspace: NotionEmulatorWorkspace;
  readonly redirectUri: string | undefined;
  readonly expiresAtMs: number;
}

/** API versions the emulator accepts (developers.notion.com/reference/changes-by-version). */
const KNOWN_VERSIONS = new Set(['2021-05-11', '2021-05-13', '2021-08-16', '2022-02-22', '2022-06-28', '2025-09-03', '2026-03-11']);

const ENDPOINTS: Readonly<Record<string, NotionEmulatorEndpoint>> = {
  'GET /v1/oauth/authorize': 'authorize',
  'POST /v1/oauth/token': 'token',
  'POST /v1/oauth/revoke': 'revoke',
  'POST /v1/oauth/introspect': 'introspect',
  'GET /v1/users/me': 'users.me',
};

function token(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

function defaultWorkspaces(): NotionEmulatorWorkspace[] {
  return [
    { id: randomUUID(), name: 'Acme HQ', icon: 'https://www.notion.so/images/acme.png', botId: randomUUID(), user: { id: randomUUID(), name: 'Ada Lovelace', email: 'ada@acme.test' } },
    { id: randomUUID(), name: 'Side Project', icon: null, botId: randomUUID(), user: { id: randomUUID(), name: 'Ada Lovelace', email: 'ada@side.test' } },
  ];
}

/**
 * Starts a Notion emulator on `127.0.0.1` (a free port).
 *
 * @param options - accepted client credentials, redirect URIs, workspaces, switches
 * @returns the running emulator; `close()` it when done
 * @example
 * ```ts
 * const emu = await startNotionEmulator();
 * const auth = new AuthManager({
 *   providers: [notion({ ...emu.endpoints, clientId: emu.clientId, clientSecret: emu.clientSecret, redirectUri: 'http://127.0.0.1:3000/callback' })],
 * });
 * const { url } = await auth.notion.oauth2.authorize({ subject: 'user-1' });
 * const callbackUrl = (await fetch(url, { redirect: 'manual' })).headers.get('location')!;
 * await auth.notion.oauth2.complete({ callbackUrl });
 * await emu.close();
 * ```
 */
export async function startNotionEmulator(options: NotionEmulatorOptions = {}): Promise<NotionEmulator> {
  const clientId = options.clientId ?? randomUUID();
  const clientSecret = options.clientSecret ?? token('secret_');
  const workspaces = [...(options.workspaces ?? defaultWorkspaces())];
  const integrationTokens = new Set(options.integrationTokens ?? [token('ntn_')]);
  const codeTtlMs = options.codeTtlMs ?? 600_000;
  const issueRefreshTokens = options.issueRefreshTokens ?? true;
  let rotate = options.rotateRefreshTokens ?? true;
  let consentWorkspace = workspaces[0];
  if (!consentWorkspace) throw new Error('startNotionEmulator: at least one workspace is needed');

  const codes = new Map<string, PendingCode>();
  const grants = new Set<Grant>();
  const requests: NotionEmulatorRequest[] = [];
  const counts = emptyCounts();

  const findGrant = (t: string, kind: 'access' | 'refresh' | 'any'): Grant | undefined => {
    for (const g of grants) {
      if (!g.active) continue;
      if ((kind !== 'refresh' && g.accessToken === t) || (kind !== 'access' && g.refreshToken === t)) return g;
    }
    return undefined;
  };

  const tokenResponse = (g: Grant) => ({
    access_token: g.accessToken,
    token_type: 'bearer',
    refresh_token: g.refreshToken ?? null,
    bot_id: g.workspace.botId,
    workspace_name: g.workspace.name,
    workspace_icon: g.workspace.icon,
    workspace_id: g.workspace.id,
    owner: {
      type: 'user',
      user: {
        object: 'user', id: g.workspace.user.id, name: g.workspace.user.name, avatar_url: null,
        type: 'person', person: { email: g.workspace.user.email },
      },
    },
    duplicated_template_id: null,
    request_id: randomUUID(),
  });

  const handleAuthorize = (url: URL, res: ServerResponse): void => {
    const q = url.searchParams;
    if (q.get('client_id') !== clientId) return notionError(res, 400, 'validation_error', 'Invalid client_id.');
    if (q.get('response_type') !== 'code') return notionError(res, 400, 'validation_error', 'response_type should be "code".');
    if (q.get('owner') !== 'user') return notionError(res, 400, 'validation_error', 'owner should be "user".');
    const redirectUri = q.get('redirect_uri') ?? (options.redirectUris?.length === 1 ? options.redirectUris[0] : undefined);
    if (!redirectUri || !isAllowedRedirect(redirectUri, options.redirectUris)) {
      return notionError(res, 400, 'validation_error', 'Invalid redirect_uri.');
    }
    const code = randomUUID();
    codes.set(code, { grantWorkspace: consentWorkspace!, redirectUri: q.get('redirect_uri') ?? undefined, expiresAtMs: Date.now() + codeTtlMs });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const state = q.get('state');
    if (state !== null) target.searchParams.set('state', state);
    res.writeHead(302, { location: target.href }).end();
  };

  /** Checks shared by the OAuth POST endpoints; returns the JSON body, or undefined after answering. */
  const oauthPreamble = (req: IncomingMessage, body: string, res: ServerResponse): Record<string, unknown> | undefined => {
    if (!checkVersion(req, res)) return undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
    const decoded = basic?.[1] ? Buffer.from(basic[1], 'base64').toString('utf8') : undefined;
    if (decoded !== `${clientId}:${clientSecret}`) {
      oauthError(res, 401, 'invalid_client', 'Client authentication failed: use HTTP Basic with client_id:client_secret.');
      return undefined;
    }
    const contentType = header(req, 'content-type') ?? '';
    let json: unknown;
    try { json = /^application\/json\b/i.test(contentType) ? JSON.parse(body) : undefined; } catch { json = undefined; }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      oauthError(res, 401, 'invalid_request', 'The request body must be a JSON object.');
      return undefined;
    }
    return json as Record<string, unknown>;
  };

  const handleToken = (json: Record<string, unknown>, res: ServerResponse): void => {
    if (json.grant_type === 'authorization_code') {
      const code = typeof json.code === 'string' ? json.code : '';
      const pending = codes.get(code);
      codes.delete(code);
      if (!pending || pending.expiresAtMs <= Date.now()) return oauthError(res, 400, 'invalid_grant', 'Invalid code.');
      if (pending.redirectUri !== undefined && json.redirect_uri !== pending.redirectUri) {
        return oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
      }
      const grant: Grant = {
        workspace: pending.grantWorkspace, accessToken: token('ntn_'),
        refreshToken: issueRefreshTokens ? token('nrt_') : undefined,
        issuedAtSeconds: Math.floor(Date.now() / 1000), active: true,
      };
      grants.add(grant);
      return sendJson(res, 200, tokenResponse(grant));
    }
    if (json.grant_type === 'refresh_token') {
      const grant = typeof json.refresh_token === 'string' ? findGrant(json.refresh_token, 'refresh') : undefined;
      if (!grant) return oauthError(res, 400, 'invalid_grant', 'Invalid refresh token.');
      grant.accessToken = token('ntn_');
      if (rotate) grant.refreshToken = token('nrt_');
      grant.issuedAtSeconds = Math.floor(Date.now() / 1000);
      return sendJson(res, 200, tokenResponse(grant));
    }
    return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be "authorization_code" or "refresh_token".');
  };

  const handleRevoke = (json: Record<string, unknown>, res: ServerResponse): void => {
    if (typeof json.token !== 'string' || json.token === '') return oauthError(res, 400, 'invalid_request', 'body.token should be defined.');
    const grant = findGrant(json.token, 'any');
    if (grant) grant.active = false;
    sendJson(res, 200, { request_id: randomUUID() });
  };

  const handleIntrospect = (json: Record<string, unknown>, res: ServerResponse): void => {
    if (typeof json.token !== 'string' || json.token === '') return oauthError(res, 400, 'invalid_request', 'body.token should be defined.');
    const grant = findGrant(json.token, 'any');
    sendJson(res, 200, grant ? { active: true, iat: grant.issuedAtSeconds, request_id: randomUUID() } : { active: false, request_id: randomUUID() });
  };

  const handleUsersMe = (req: IncomingMessage, res: ServerResponse): void => {
    if (!checkVersion(req, res)) return;
    const bearer = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
    if (bearer && integrationTokens.has(bearer)) {
      return sendJson(res, 200, {
        object: 'user', id: 'internal-integration-bot', name: 'Internal integration', avatar_url: null, type: 'bot',
        bot: { owner: { type: 'workspace', workspace: true }, workspace_name: workspaces[0]!.name }, request_id: randomUUID(),
      });
    }
    const grant = bearer ? findGrant(bearer, 'access') : undefined;
    if (!grant) return notionError(res, 401, 'unauthorized', 'API token is invalid.');
    const body = tokenResponse(grant);
    sendJson(res, 200, {
      object: 'user', id: grant.workspace.botId, name: 'Connection bot', avatar_url: null, type: 'bot',
      bot: { owner: body.owner, workspace_name: grant.workspace.name }, request_id: body.request_id,
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const endpoint = ENDPOINTS[`${req.method} ${url.pathname}`] ?? 'unknown';
      counts[endpoint] += 1;
      requests.push({ endpoint, method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, headers: flatHeaders(req), body });
      try {
        if (endpoint === 'authorize') return handleAuthorize(url, res);
        if (endpoint === 'users.me') return handleUsersMe(req, res);
        if (endpoint === 'unknown') return notionError(res, 404, 'invalid_request_url', 'Invalid request URL.');
        const json = oauthPreamble(req, body, res);
        if (!json) return;
        if (endpoint === 'token') return handleToken(json, res);
        if (endpoint === 'revoke') return handleRevoke(json, res);
        return handleIntrospect(json, res);
      } catch (err) {
        notionError(res, 500, 'internal_server_error', err instanceof Error ? err.message : 'error');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    endpoints: {
      authorizationUrl: `${origin}/v1/oauth/authorize`,
      tokenUrl: `${origin}/v1/oauth/token`,
      revocationUrl: `${origin}/v1/oauth/revoke`,
      introspectionUrl: `${origin}/v1/oauth/introspect`,
      apiBaseUrl: `${origin}/v1`,
    },
    clientId,
    clientSecret,
    integrationToken: [...integrationTokens][0] ?? '',
    workspaces,
    requests,
    counts,
    requestsTo: (endpoint) => requests.filter((r) => r.endpoint === endpoint),
    clearLog: () => {
      requests.length = 0;
      Object.assign(counts, emptyCounts());
    },
    consentAs: (workspaceId) => {
      const ws = workspaces.find((w) => w.id === workspaceId);
      if (!ws) throw new Error(`startNotionEmulator: no workspace ${workspaceId}`);
      consentWorkspace = ws;
    },
    expireAccessTokens: () => {
      for (const g of grants) g.accessToken = `expired:${g.accessToken}`;
    },
    setRefreshTokenRotation: (on) => { rotate = on; },
    isTokenActive: (t) => findGrant(t, 'any') !== undefined,
    workspaceOf: (t) => findGrant(t, 'any')?.workspace,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}

function emptyCounts(): Record<NotionEmulatorEndpoint, number> {
  return { authorize: 0, token: 0, revoke: 0, introspect: 0, 'users.me': 0, unknown: 0 };
}

function isAllowedRedirect(uri: string, registered: readonly string[] | undefined): boolean {
  if (registered) return registered.includes(uri);
  try { return /^https?:$/.test(new URL(uri).protocol); } catch { return false; }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** `Notion-Version` is required on every request but the browser's authorize hop. */
function checkVersion(req: IncomingMessage, res: ServerResponse): boolean {
  const version = header(req, 'notion-version');
  if (version === undefined) {
    notionError(res, 400, 'missing_version', 'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.');
    return false;
  }
  if (!KNOWN_VERSIONS.has(version)) {
    notionError(res, 400, 'validation_error', `Notion-Version header failed validation: unknown version ${JSON.stringify(version)}.`);
    return false;
  }
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** Notion's API error object (developers.notion.com/reference/status-codes). */
function notionError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { object: 'error', status, code, message, request_id: randomUUID() });
}

/** OAuth endpoints answer RFC 6749 §5.2 errors. */
function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description, request_id: randomUUID() });
}
