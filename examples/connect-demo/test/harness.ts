import { AuthManager, envFrom, type CredentialStore, type ProviderRegistration } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import type { FastifyInstance } from 'fastify';
import { callbackPath, createDemoApp, listeningOrigin, type DemoAppOptions } from '../src/app.js';

/** A running demo on 127.0.0.1:0 with its own sandbox authorization server. */
export interface DemoHarness {
  readonly origin: string;
  readonly sandbox: SandboxProvider;
  readonly auth: AuthManager<readonly ProviderRegistration[]>;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Options of {@link startDemo}. */
export interface StartDemoOptions {
  /** Sandbox sign-in and consent pages (browser tests) or headless approval (HTTP tests). */
  readonly interactive: boolean;
  /** Providers registered after the sandbox (a function when they need the running sandbox's issuer). */
  readonly extraProviders?: readonly ProviderRegistration[] | ((server: SandboxProvider) => readonly ProviderRegistration[]);
  /** What the manager reads app credentials from. @default {} (nothing configured) */
  readonly env?: Readonly<Record<string, string>>;
  /** Manager clock, epoch milliseconds. */
  readonly now?: () => number;
  /** Credential store, and how the page names it. @default a memory store, "Memory (test)" */
  readonly store?: { readonly store: CredentialStore; readonly label: string };
  /** Log level and destination of the demo. @default silent */
  readonly log?: { readonly level: string; readonly stream: NonNullable<DemoAppOptions['logStream']> };
}

/**
 * Starts the sandbox and the demo app the way `main.ts` does (memory store), listening on a free
 * loopback port, with the demo's sandbox callback registered as redirect URI.
 */
export async function startDemo(options: StartDemoOptions): Promise<DemoHarness> {
  const server = await startSandboxProvider({ interactive: options.interactive });
  const providers: readonly ProviderRegistration[] = [
    sandbox({ issuer: server.issuer, clientId: server.clientId, clientSecret: server.clientSecret }),
    ...(typeof options.extraProviders === 'function' ? options.extraProviders(server) : (options.extraProviders ?? [])),
  ];
  const auth = new AuthManager({
    providers, env: envFrom(options.env ?? {}), ...(options.store ? { store: options.store.store } : {}), ...(options.now ? { now: options.now } : {}),
  });
  const app = createDemoApp({
    auth, storeLabel: options.store?.label ?? 'Memory (test)',
    ...(options.log ? { logLevel: options.log.level, logStream: options.log.stream } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const origin = listeningOrigin(app.server);
  // Extra providers may be sandbox variants: the sandbox accepts each one's callback too.
  for (const id of auth.providerIds) server.addRedirectUri(`${origin}${callbackPath(id)}`);
  return {
    origin, sandbox: server, auth, app,
    async close() {
      await app.close();
      await auth.close();
      await server.close();
    },
  };
}

/** What an HTTP response of the demo looked like. */
export interface DemoResponse {
  readonly status: number;
  readonly location: string | null;
  readonly contentType: string | null;
  readonly html: string;
}

/**
 * A cookie-keeping HTTP client for the demo that does not follow redirects, so each hop is visible.
 * Only the demo's own cookies are kept (all host-only, path `/`).
 */
export class DemoClient {
  readonly #origin: string;
  readonly #cookies = new Map<string, string>();
  /** The CSRF token of the last page that had a form. */
  #csrf = '';

  constructor(origin: string) {
    this.#origin = origin;
  }

  /** The current value of a cookie. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  async get(pathOrUrl: string): Promise<DemoResponse> {
    return this.#send(pathOrUrl, { method: 'GET' });
  }

  /** Sets a cookie as another app on the same host could (cookies ignore ports). */
  plantCookie(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  /** The CSRF token of the last page that had a form. */
  get csrf(): string {
    return this.#csrf;
  }

  /** Posts a form; the CSRF token comes from the last page unless `fields.csrf` is given. */
  async post(path: string, fields: Record<string, string> = {}): Promise<DemoResponse> {
    const csrf = this.#csrf;
    return this.#send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, ...fields }).toString(),
    });
  }

  /** Posts any body with any headers (the session cookie is sent; no CSRF field is added). */
  async postRaw(path: string, contentType: string, body: string, headers: Record<string, string> = {}): Promise<DemoResponse> {
    return this.#send(path, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  }

  /** The connect page (where every action redirects back to), with its message. */
  async home(): Promise<string> {
    const res = await this.get('/connect');
    if (res.status !== 200) throw new Error(`GET /connect answered ${res.status}`);
    return res.html;
  }

  /** The page a redirect points to (the connect page with the outcome in its query). */
  async follow(res: DemoResponse): Promise<string> {
    if (res.location === null) throw new Error(`HTTP ${res.status} is not a redirect`);
    return (await this.get(res.location)).html;
  }

  async #send(pathOrUrl: string, init: RequestInit): Promise<DemoResponse> {
    const url = new URL(pathOrUrl, this.#origin);
    if (url.origin !== this.#origin) throw new Error(`DemoClient only talks to the demo, not ${url.origin}`);
    const cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const html = await res.text();
    const token = /<input type="hidden" name="csrf" value="([^"]*)">/.exec(html)?.[1];
    if (token !== undefined) this.#csrf = token;
    return { status: res.status, location: res.headers.get('location'), contentType: res.headers.get('content-type'), html };
  }
}

/**
 * Connect (the page's link) → authorization at the headless sandbox → the callback URL the
 * sandbox redirects to (not requested yet).
 */
export async function authorizeAtSandbox(client: DemoClient, demo: DemoHarness, provider = 'sandbox'): Promise<URL> {
  const connect = await client.get(`/connect/${provider}/connect?returnTo=%2Fconnect`);
  if (connect.status !== 303 || connect.location === null || !connect.location.startsWith(demo.sandbox.issuer)) {
    throw new Error(`GET /connect/${provider}/connect did not redirect to the sandbox: HTTP ${connect.status}, Location ${String(connect.location)}`);
  }
  return followAuthorization(connect.location, `${demo.origin}${callbackPath(provider)}`);
}

/** Text of the page's message (from the outcome in its query), tags stripped and entities of the five escapes decoded. */
export function flashText(html: string): string | undefined {
  const match = /<div class="message [a-z]+" id="message"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  if (!match?.[1]) return undefined;
  return match[1].replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ').trim();
}
