import type { ConnectHandler } from './createConnectHandler.js';

/**
 * The request with the origin browsers used. Next.js gives route handlers a URL on the host it
 * listens on (`http://localhost:3000` for `next start -H 127.0.0.1`), not the `Host` the browser
 * sent, so redirect URIs and the same-origin check would name another origin. The Host header
 * decides here, as it does in the other adapters; set the handler's `publicUrl` behind a proxy.
 */
function withHostOrigin(request: Request): Request {
  const host = request.headers.get('host');
  const url = new URL(request.url);
  if (host === null || host === url.host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return request;
  const rebuilt = new URL(`${url.pathname}${url.search}`, `${url.protocol}//${host}`);
  const method = request.method.toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD' && request.body !== null;
  return new Request(rebuilt, { method, headers: request.headers, ...(hasBody ? { body: request.body, duplex: 'half' } : {}) } as RequestInit);
}

/** A Next.js App Router route handler (a `NextRequest` is a `Request`). */
export type NextRouteHandler = (request: Request) => Promise<Response>;

/** The route handlers of a catch-all route, by method. */
export interface NextRouteHandlers {
  readonly GET: NextRouteHandler;
  readonly HEAD: NextRouteHandler;
  readonly POST: NextRouteHandler;
}

/**
 * The connect routes as Next.js App Router route handlers, for a catch-all route at the
 * handler's base path: with the default `/connect`, the file `app/connect/[...authmanager]/route.ts`
 * (and, for the connect page at `/connect/`, nothing more: the catch-all takes it as well when it
 * is an optional one, `[[...authmanager]]`). Next gives the handler the full request URL.
 *
 * @param handler - from `createConnectHandler`
 * @example
 * ```ts
 * // app/connect/[[...authmanager]]/route.ts
 * import { connectRouteHandlers } from '@authmanager/http/next';
 * import { connect } from '../../../lib/connect';
 *
 * export const { GET, HEAD, POST } = connectRouteHandlers(connect);
 * export const dynamic = 'force-dynamic';
 * ```
 */
export function connectRouteHandlers(handler: ConnectHandler): NextRouteHandlers {
  const route: NextRouteHandler = (request) => handler(withHostOrigin(request));
  return { GET: route, HEAD: route, POST: route };
}
