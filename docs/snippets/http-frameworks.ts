import type { AuthManager } from '@authmanager/core';
import type { sandbox } from '@authmanager/testing';
// #region imports
import { createConnectHandler, type ConnectHandler } from '@authmanager/http';
// #endregion imports
import { connectMiddleware } from '@authmanager/http/express';
import { connectPlugin } from '@authmanager/http/fastify';
import { connectRoutes } from '@authmanager/http/hono';
import { connectRouteHandlers } from '@authmanager/http/next';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';

type Auth = AuthManager<readonly [ReturnType<typeof sandbox>]>;

/** Your own sign-in: here, a `user` cookie (docs/http.md). */
function userIdFromSession(request: Request): string | undefined {
  return /(?:^|;\s*)user=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
}

/** The connect routes, made once and shared by whichever framework serves them (docs/http.md). */
export function makeConnect(auth: Auth, secret: string): ConnectHandler {
  // #region handler
  const connect = createConnectHandler({
    auth,
    secret, // 32+ characters, the same on every instance: process.env.CONNECT_SECRET
    getSubject: (request) => userIdFromSession(request), // your sign-in decides who is connecting
    returnTo: { allowed: ['/settings'], default: '/settings/integrations' },
    page: { title: 'Integrations' }, // the connect page at /connect
    onConnected: ({ provider, subject, account }) => {
      console.log(`${subject} connected ${provider} as ${account?.label ?? account?.id ?? 'someone'}`);
    },
  });
  // GET  /connect/:provider/connect?returnTo=/settings  → the provider's consent page
  // GET  /connect/:provider/callback                    → stored, then /settings/integrations?connected=github
  // POST /connect/:provider/disconnect  (csrf, returnTo) → revoked and deleted
  // GET  /connect/connections                           → JSON for the signed-in subject
  // #endregion handler
  return connect;
}

/** Express 5 (docs/http.md). */
export function expressApp(connect: ConnectHandler): express.Express {
  // #region express
  const app = express();
  app.use(connectMiddleware(connect)); // answers /connect/*, passes everything else on
  // #endregion express
  return app;
}

/** Fastify 5 (docs/http.md). */
export async function fastifyApp(connect: ConnectHandler) {
  // #region fastify
  const app = Fastify();
  await app.register(connectPlugin, { handler: connect }); // no prefix: the handler has its basePath
  // #endregion fastify
  return app;
}

/** Hono (docs/http.md). */
export function honoApp(connect: ConnectHandler) {
  // #region hono
  const app = new Hono();
  app.route('/', connectRoutes(connect));
  // serve({ fetch: app.fetch, port: 3000 }) with @hono/node-server, or export default app on Bun/Deno/workers
  // #endregion hono
  return app;
}

/** Next.js App Router: the file app/connect/[[...authmanager]]/route.ts (docs/http.md). */
export function nextRoute(connect: ConnectHandler) {
  // #region next
  // app/connect/[[...authmanager]]/route.ts
  const { GET, HEAD, POST } = connectRouteHandlers(connect);
  // export { GET, HEAD, POST }; export const dynamic = 'force-dynamic';
  // #endregion next
  return { GET, HEAD, POST };
}

/** A form of your own that disconnects (docs/http.md). */
export function disconnectForm(connect: ConnectHandler, userId: string): string {
  // #region form
  const html = `<form method="post" action="/connect/github/disconnect">
    <input type="hidden" name="csrf" value="${connect.csrfToken(userId)}">
    <input type="hidden" name="returnTo" value="/settings/integrations">
    <button>Disconnect GitHub</button>
  </form>`;
  // #endregion form
  return html;
}
