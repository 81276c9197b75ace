import Fastify from 'fastify';
import { connectPlugin } from '../src/fastify.js';
import { adapterSuite } from './adapterSuite.js';

// A JSON body parser is Fastify's default; the plugin reads its own bodies raw all the same.
adapterSuite('Fastify 5', async (handler) => {
  const app = Fastify();
  await app.register(connectPlugin, { handler });
  app.get('/app/hello', async (_request, reply) => reply.type('text/plain').send('hello from Fastify 5'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as import('node:net').AddressInfo;
  return { origin: `http://127.0.0.1:${address.port}`, close: () => app.close() };
});
