import type { AddressInfo } from 'node:net';
import express from 'express';
import { connectMiddleware } from '../src/express.js';
import { adapterSuite } from './adapterSuite.js';

// express.urlencoded() runs first: the middleware must pass the already-parsed form on.
adapterSuite('Express 5', async (handler) => {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(connectMiddleware(handler));
  app.get('/app/hello', (_req, res) => { res.type('text/plain').send('hello from Express 5'); });
  const server = await new Promise<import('node:http').Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
});
