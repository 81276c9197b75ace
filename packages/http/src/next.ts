import type { ConnectHandler } from './createConnectHandler.js';

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
  const route: NextRouteHandler = (request) => handler(request);
  return { GET: route, HEAD: route, POST: route };
}
