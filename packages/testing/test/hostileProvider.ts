// A real HTTP server on loopback that answers the token endpoint with whatever a test queues: the
// malformed, oversized and hostile answers a provider (or anything posing as one) can send. Tests
// drive openid-client and the manager against it over real HTTP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { defineProvider, z, appField, type AppCredentialFields } from '@authmanager/core';

/** One queued answer of the token endpoint. */
export interface HostileAnswer {
  readonly status?: number;
  /** A raw body (sent as is), or a value sent as JSON. */
  readonly body: string | unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HostileProvider {
  readonly origin: string;
  readonly clientId: string;
  /** Queue answers for the next token requests (then the default answer). */
  answer(...answers: HostileAnswer[]): void;
  /** Requests seen, by path. */
  count(path: string): number;
  /** Headers of the last request to `path`. */
  lastHeaders(path: string): IncomingMessage['headers'] | undefined;
  /** Hang requests to `path` (never answer) until the server closes. */
  hang(path: string): void;
  /** An ID token signed with the server's key. */
  idToken(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startHostileProvider(): Promise<HostileProvider> {
  const queue: HostileAnswer[] = [];
  const counts = new Map<string, number>();
  const headers = new Map<string, IncomingMessage['headers']>();
  const hanging = new Set<string>();
  const open = new Set<ServerResponse>();
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    headers.set(path, req.headers);
    req.resume();
    if (hanging.has(path)) { open.add(res); return; }
    req.on('end', () => {
      if (path === '/jwks') return send(res, { body: { keys: [jwk] } });
      if (path === '/api/me') return send(res, { body: { ok: true } });
      if (path === '/token') return send(res, queue.shift() ?? { body: { access_token: 'default-at', token_type: 'Bearer', expires_in: 3600 } });
      send(res, { status: 404, body: { error: 'not_found' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    clientId: 'hostile-client',
    answer: (...answers) => { queue.push(...answers); },
    count: (path) => counts.get(path) ?? 0,
    lastHeaders: (path) => headers.get(path),
    hang: (path) => { hanging.add(path); },
    idToken: (claims) => sign(privateKey, origin, claims),
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, answer: HostileAnswer): void {
  const raw = typeof answer.body === 'string';
  res.writeHead(answer.status ?? 200, { 'content-type': raw ? 'text/plain' : 'application/json', ...(answer.headers ?? {}) });
  res.end(raw ? answer.body as string : JSON.stringify(answer.body));
}

function sign(key: CryptoKey, issuer: string, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, aud: 'hostile-client', sub: 'user-1', iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
}

const appCredentials = {
  origin: appField({ schema: z.string(), description: 'The hostile server origin.' }),
  clientId: appField({ schema: z.string(), default: 'hostile-client', description: 'Client id.' }),
  clientSecret: appField({ schema: z.string(), default: 'hostile-secret', secret: true, description: 'Client secret.' }),
  redirectUri: appField({ schema: z.string(), default: 'http://127.0.0.1:1/callback', description: 'Redirect URI.' }),
  allowedOrigins: appField({ schema: z.array(z.string()).optional(), description: 'Extra API origins.' }),
} satisfies AppCredentialFields;

/** The hostile server's endpoints, explicit (no discovery). */
function endpoints(origin: string) {
  return { issuer: origin, authorizationEndpoint: `${origin}/authorize`, tokenEndpoint: `${origin}/token`, jwksUri: `${origin}/jwks` };
}

/** A provider whose endpoints are the hostile server's (explicit endpoints, or an OIDC issuer when `openid`). */
export const hostile = defineProvider({
  id: 'hostile',
  displayName: 'Hostile',
  appCredentials,
  oauth2: {
    server: (app) => endpoints(app.origin),
    clientAuthentication: 'client_secret_basic',
    defaultScopes: ['read', 'write'],
  },
  api: {
    baseUrl: ({ app }) => `${app.origin}/api`,
    allowedOrigins: ({ app }) => app.allowedOrigins ?? [],
  },
});

/** The same server, as an OpenID Connect provider (ID tokens verified against its JWKS). */
export const hostileOidc = defineProvider({
  id: 'hostile',
  displayName: 'Hostile OIDC',
  appCredentials,
  oauth2: {
    server: (app) => endpoints(app.origin),
    clientAuthentication: 'client_secret_basic',
    defaultScopes: ['openid'],
    openid: true,
  },
});
