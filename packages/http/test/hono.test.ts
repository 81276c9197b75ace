import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { connectRoutes } from '../src/hono.js';
import { adapterSuite } from './adapterSuite.js';

adapterSuite('Hono', async (handler) => {
  const app = new Hono();
  app.route('/', connectRoutes(handler));
  app.get('/app/hello', (c) => c.text('hello from Hono'));
  const server = await new Promise<ServerType>((resolve) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s)); });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { (server as import('node:http').Server).closeAllConnections?.(); server.close(() => resolve()); }),
  };
});
