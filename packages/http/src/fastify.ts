import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { ConnectHandler } from './createConnectHandler.js';
import { webHeaders } from './nodeBridge.js';

/** Options of {@link connectPlugin}. */
export interface ConnectPluginOptions {
  /** From `createConnectHandler`. */
  readonly handler: ConnectHandler;
  /** Largest body Fastify reads for the routes, bytes. @default 16384 */
  readonly bodyLimit?: number;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The connect routes as a Fastify 5 plugin: `<basePath>` and `<basePath>/*`, every method (the
 * handler answers 405 where a route takes another). The plugin is encapsulated: it reads its
 * bodies raw, whatever content-type parsers the app registered (`@fastify/formbody`…), and adds
 * nothing to the rest of the app. Register it without a `prefix` (the handler knows its base
 * path). Behind a proxy, set Fastify's `trustProxy` or the handler's `publicUrl`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createConnectHandler } from '@authmanager/http';
 * import { connectPlugin } from '@authmanager/http/fastify';
 *
 * const app = Fastify();
 * await app.register(connectPlugin, { handler: createConnectHandler({ auth, secret, getSubject }) });
 * ```
 */
export async function connectPlugin(app: FastifyInstance, options: ConnectPluginOptions): Promise<void> {
  const { handler } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit ?? 16_384 }, (_request, body, done) => done(null, body));
  const answer = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const method = request.method.toUpperCase();
    const body = method !== 'GET' && method !== 'HEAD' && Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined;
    const headers = webHeaders(request.headers);
    if (body === undefined) headers.delete('content-length');
    const response = await handler(new Request(`${request.protocol}://${request.host}${request.url}`, { method, headers, ...(body ? { body: new Uint8Array(body) } : {}) }));
    reply.code(response.status);
    for (const [name, value] of response.headers) if (name !== 'set-cookie') void reply.header(name, value);
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) void reply.header('set-cookie', cookies);
    return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
  };
  app.route({ method: METHODS, url: handler.basePath, handler: answer });
  app.route({ method: METHODS, url: `${handler.basePath}/*`, handler: answer });
}
