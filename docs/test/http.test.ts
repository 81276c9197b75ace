import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serve } from '@hono/node-server';
import { AuthManager } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { disconnectForm, expressApp, fastifyApp, honoApp, makeConnect, nextRoute } from '../snippets/http-frameworks.js';

const SECRET = 'docs-http-secret-0123456789-abcdefghijk';
let server: SandboxProvider;
beforeAll(async () => { server = await startSandboxProvider({ interactive: false }); });
afterAll(async () => { await server.close(); });

/** Connect through the routes at `origin` as `user`: the callback's redirect. */
async function roundTrip(origin: string, user: string, send: (request: Request) => Promise<Response> = (r) => fetch(r, { redirect: 'manual' })) {
  server.addRedirectUri(`${origin}/connect/sandbox/callback`);
  const cookie = { cookie: `user=${user}` };
  const start = await send(new Request(`${origin}/connect/sandbox/connect?returnTo=%2Fsettings%2Fgithub`, { headers: cookie, redirect: 'manual' }));
  const callback = await followAuthorization(start.headers.get('location')!, `${origin}/connect/sandbox/callback`);
  const done = await send(new Request(callback, { headers: { cookie: `${cookie.cookie}; ${start.headers.getSetCookie()[0]!.split(';')[0]}` }, redirect: 'manual' }));
  return { status: done.status, location: done.headers.get('location') };
}

describe('docs/http.md snippets', () => {
  const auth = () => new AuthManager({ providers: [sandbox({ issuer: server.issuer, clientId: server.clientId, clientSecret: server.clientSecret })] as const });

  it('Express: connects through the sandbox and returns to the allowed returnTo', async () => {
    const a = auth();
    const listening = expressApp(makeConnect(a, SECRET)).listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    const result = await roundTrip(`http://127.0.0.1:${(listening.address() as AddressInfo).port}`, 'express-user');
    listening.close();
    expect(result).toEqual({ status: 303, location: '/settings/github?connected=sandbox' });
    expect(await a.loadCredentials('sandbox', 'express-user')).toBeDefined();
  });

  it('Fastify: the same', async () => {
    const a = auth();
    const app = await fastifyApp(makeConnect(a, SECRET));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const result = await roundTrip(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, 'fastify-user');
    await app.close();
    expect(result).toEqual({ status: 303, location: '/settings/github?connected=sandbox' });
  });

  it('Hono on @hono/node-server: the same', async () => {
    const a = auth();
    const app = honoApp(makeConnect(a, SECRET));
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => listening.once('listening', resolve));
    const result = await roundTrip(`http://127.0.0.1:${(listening.address() as AddressInfo).port}`, 'hono-user');
    listening.close();
    expect(result).toEqual({ status: 303, location: '/settings/github?connected=sandbox' });
  });

  it('Next.js route handlers answer the same requests (the built app is tested in packages/http)', async () => {
    const a = auth();
    const { GET } = nextRoute(makeConnect(a, SECRET));
    const result = await roundTrip('http://app.test', 'next-user', GET);
    expect(result).toEqual({ status: 303, location: '/settings/github?connected=sandbox' });
  });

  it('a form of your own carries the CSRF token of the signed-in user', () => {
    const connect = makeConnect(auth(), SECRET);
    const token = /name="csrf" value="([^"]+)"/.exec(disconnectForm(connect, 'form-user'))?.[1];
    expect(connect.verifyCsrfToken(token, 'form-user')).toBe(true);
  });
});
