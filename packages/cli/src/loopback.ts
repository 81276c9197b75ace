import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Providers that accept a loopback redirect on any port when the URI registered is
 * `http://127.0.0.1/<path>` without one (RFC 8252 §7.3), so the CLI listens on an ephemeral port.
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#loopback-redirect-urls
 */
export const ANY_LOOPBACK_PORT: ReadonlySet<string> = new Set(['github']);

/** The port the CLI listens on for providers that need the exact port registered. */
export const DEFAULT_CALLBACK_PORT = 8976;

/** Where `connect` listens and what the user registers at the provider. */
export interface LoopbackPlan {
  /** The redirect URI to register at the provider (`redirect-url` prints it). */
  readonly registered: string;
  /** `127.0.0.1` or `::1`. */
  readonly host: string;
  /** `0` = an ephemeral port, chosen when listening. */
  readonly port: number;
  readonly path: string;
}

const LOOPBACK_HOSTS: Readonly<Record<string, string>> = { '127.0.0.1': '127.0.0.1', localhost: '127.0.0.1', '[::1]': '::1' };

/**
 * Plans the loopback redirect (RFC 8252 §7.3: the loopback IP literal, the registered port, or an
 * ephemeral one where the provider allows any port).
 * @param provider - provider id
 * @param configured - the provider's configured `redirectUri`, if any; used when it is a loopback `http:` URI
 * @param port - `--port` (0 = ephemeral), overriding the rest
 */
export function planLoopback(provider: string, configured: string | undefined, port?: number): LoopbackPlan {
  let host = '127.0.0.1';
  let hostLiteral = '127.0.0.1';
  let path = '/callback';
  let chosen: number | undefined = port;
  const anyPort = ANY_LOOPBACK_PORT.has(provider);
  if (configured !== undefined) {
    try {
      const url = new URL(configured);
      const mapped = LOOPBACK_HOSTS[url.hostname];
      if (url.protocol === 'http:' && mapped !== undefined) {
        host = mapped;
        hostLiteral = url.hostname;
        path = url.pathname;
        if (chosen === undefined && url.port !== '') chosen = Number(url.port);
      }
    } catch { /* not a URL: the default plan */ }
  }
  chosen ??= anyPort ? 0 : DEFAULT_CALLBACK_PORT;
  const registered = anyPort && chosen === 0 ? `http://${hostLiteral}${path}` : `http://${hostLiteral}${chosen === 0 ? ':<port>' : `:${chosen}`}${path}`;
  return { registered, host, port: chosen, path };
}

/** A listening loopback redirect receiver. */
export interface LoopbackReceiver {
  /** The exact redirect URI to send in the authorization request (with the port listened on). */
  readonly redirectUri: string;
  /**
   * Resolves with the first callback URL on the redirect path that carries `state` (or `error`);
   * the browser is answered with the page `respond` returns.
   */
  readonly callback: Promise<URL>;
  /** Answers the waiting browser and stops listening. */
  finish(ok: boolean, message: string): Promise<void>;
}

const PAGE = (ok: boolean, message: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>authmanager: ${ok ? 'connected' : 'not connected'}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0}main{max-width:32rem;padding:2rem}</style>
</head><body><main><h1 id="result">${ok ? 'Connected' : 'Not connected'}</h1><p>${message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</p><p>You can close this tab and go back to the terminal.</p></main></body></html>`;

/**
 * Listens on the loopback interface for the authorization response. Only GET on the redirect path
 * with a `state` or `error` parameter counts; anything else gets 404. The browser's request is held
 * until {@link LoopbackReceiver.finish}, so its page says whether the credential was stored.
 * @throws the listen error (EADDRINUSE when the registered port is taken)
 */
export async function listenLoopback(plan: LoopbackPlan, expectedState: () => string | undefined): Promise<LoopbackReceiver> {
  let resolveCallback!: (url: URL) => void;
  const callback = new Promise<URL>((resolve) => { resolveCallback = resolve; });
  let answer: ((ok: boolean, message: string) => void) | undefined;
  let received = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'referrer-policy': 'no-referrer' };
    const state = url.searchParams.get('state');
    if (req.method !== 'GET' || url.pathname !== plan.path || (state === null && !url.searchParams.has('error'))) {
      res.writeHead(404, headers).end(PAGE(false, 'Nothing here.'));
      return;
    }
    if (received || (state !== null && state !== expectedState())) {
      res.writeHead(400, headers).end(PAGE(false, 'This is not the authorization the terminal is waiting for.'));
      return;
    }
    received = true;
    answer = (ok, message) => { res.writeHead(ok ? 200 : 400, { ...headers, connection: 'close' }).end(PAGE(ok, message)); };
    resolveCallback(new URL(`${url.pathname}${url.search}`, redirectBase));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(plan.port, plan.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const hostLiteral = plan.host === '::1' ? '[::1]' : new URL(plan.registered.replace(':<port>', '')).hostname;
  const redirectBase = `http://${hostLiteral}:${port}`;
  return {
    redirectUri: `${redirectBase}${plan.path}`,
    callback,
    finish: async (ok, message) => {
      answer?.(ok, message);
      server.closeIdleConnections();
      await new Promise<void>((resolve) => { server.close(() => resolve()); setTimeout(() => { server.closeAllConnections(); }, 1000).unref(); });
    },
  };
}
