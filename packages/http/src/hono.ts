import { Hono } from 'hono';
import type { ConnectHandler } from './createConnectHandler.js';

/**
 * The connect routes as a Hono app: `<basePath>` and `<basePath>/*`, every method, each answered
 * by the handler with the request as Hono got it (`c.req.raw`). Mount it with `app.route('/', …)`
 * (the handler knows its own base path). Runs wherever Hono does: Node (`@hono/node-server`),
 * Bun, Deno, workers (the handler needs `node:crypto`, which those provide).
 *
 * @param handler - from `createConnectHandler`
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createConnectHandler } from '@authmanager/http';
 * import { connectRoutes } from '@authmanager/http/hono';
 *
 * const app = new Hono();
 * app.route('/', connectRoutes(createConnectHandler({ auth, secret, getSubject })));
 * ```
 */
export function connectRoutes(handler: ConnectHandler): Hono {
  const app = new Hono();
  app.all(handler.basePath, (c) => handler(c.req.raw));
  app.all(`${handler.basePath}/*`, (c) => handler(c.req.raw));
  return app;
}
