import { AuthManager, defineProvider, envFrom, type ProviderRegistration } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { createConnectHandler, type ConnectHandler, type ConnectHandlerOptions, type ConnectLogEntry } from '../src/index.js';

/** A secret for tests (32+ characters). */
export const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

/** The sandbox under a second id, for "state issued for another provider" cases. */
export const other = defineProvider({ ...sandbox().definition, id: 'other', displayName: 'Other Sandbox' });

/** An answer as the tests look at it. */
export interface Answer {
  readonly status: number;
  readonly location: string | null;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * A cookie-keeping client that does not follow redirects. It talks to `origin` through `send`:
 * real HTTP (`fetch`) for the framework tests, the handler itself for the handler tests.
 */
export class Client {
  readonly cookies = new Map<string, string>();
  readonly answers: Answer[] = [];

  constructor(readonly origin: string, private readonly send: (request: Request) => Promise<Response> = (r) => fetch(r, { redirect: 'manual' })) {}

  signIn(subject: string): this {
    this.cookies.set('user', subject);
    return this;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request(path, { method: 'GET', headers });
  }

  async postForm(path: string, fields: Record<string, string> | string, headers: Record<string, string> = {}): Promise<Answer> {
    const body = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
    return this.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  }

  async postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body) });
  }

  async request(path: string, init: RequestInit): Promise<Answer> {
    const url = new URL(path, this.origin);
    if (url.origin !== this.origin) throw new Error(`Client talks to ${this.origin} only, not ${url.origin}`);
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await this.send(new Request(url, { ...init, headers, redirect: 'manual' }));
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      if (/max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
    const answer = { status: response.status, location: response.headers.get('location'), headers: response.headers, text: await response.text() };
    this.answers.push(answer);
    return answer;
  }

  /** GET connect, approve at the headless sandbox, GET the callback: the callback's answer. */
  async connect(provider = 'sandbox', query = '', basePath = '/connect'): Promise<Answer> {
    const started = await this.get(`${basePath}/${provider}/connect${query}`);
    if (started.status !== 303 || !started.location) throw new Error(`connect answered ${started.status}: ${started.text}`);
    const callback = await followAuthorization(started.location, `${this.origin}${basePath}/${provider}/callback`);
    return this.get(callback.href);
  }
}

/** A sandbox and a manager with the sandbox (and `other`) registered. */
export interface World {
  readonly sandbox: SandboxProvider;
  readonly auth: AuthManager<readonly ProviderRegistration[]>;
  readonly logs: ConnectLogEntry[];
  /** A handler on this world; the subject is the `user` cookie. */
  handler(overrides?: Partial<ConnectHandlerOptions>): ConnectHandler;
  /** Lets the sandbox redirect to `<origin><basePath>/<id>/callback` for every provider. */
  allow(origin: string, basePath?: string): void;
  close(): Promise<void>;
}

/** The `user` cookie of a request, as an app's own sign-in would give it. */
export function subjectFromCookie(request: Request): string | undefined {
  const match = /(?:^|;\s*)user=([^;]+)/.exec(request.headers.get('cookie') ?? '');
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

export async function startWorld(options: {
  readonly interactive?: boolean;
  /** Further providers (a function gets the sandbox, to point them at it). */
  readonly extra?: readonly ProviderRegistration[] | ((sandbox: SandboxProvider) => readonly ProviderRegistration[]);
  readonly env?: Record<string, string>;
  readonly now?: () => number;
} = {}): Promise<World> {
  const server = await startSandboxProvider({ interactive: options.interactive ?? false });
  const credentials = { issuer: server.issuer, clientId: server.clientId, clientSecret: server.clientSecret };
  const extra = typeof options.extra === 'function' ? options.extra(server) : (options.extra ?? []);
  const auth = new AuthManager({
    providers: [sandbox(credentials), other(credentials), ...extra] as readonly ProviderRegistration[],
    env: envFrom(options.env ?? {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const logs: ConnectLogEntry[] = [];
  return {
    sandbox: server, auth, logs,
    handler: (overrides = {}) => createConnectHandler({
      auth, secret: SECRET, getSubject: subjectFromCookie, log: (e) => logs.push(e), ...(options.now ? { now: options.now } : {}), ...overrides,
    }),
    allow(origin, basePath = '/connect') {
      for (const id of auth.providerIds) server.addRedirectUri(`${origin}${basePath}/${id}/callback`);
    },
    async close() {
      await auth.close();
      await server.close();
    },
  };
}
