import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ConnectHandler } from '../src/index.js';
import { Client, startWorld, type World } from './support.js';

/** A framework app serving the handler (and one route of its own, `GET /app/hello` → text `hello from <name>`). */
export interface RunningApp {
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * The same checks for every adapter, over real HTTP on loopback: the round trip through the
 * sandbox, disconnect with and without the CSRF token (after the framework's own body parser),
 * the connections JSON, cookies and statuses as the handler made them, and the app's own routes
 * left alone.
 */
export function adapterSuite(name: string, start: (handler: ConnectHandler) => Promise<RunningApp>): void {
  describe(`${name} adapter over HTTP`, () => {
    let world: World;
    let handler: ConnectHandler;
    let app: RunningApp;

    beforeAll(async () => {
      world = await startWorld();
      handler = world.handler({ page: true });
      app = await start(handler);
      world.allow(app.origin);
    }, 120_000);
    afterAll(async () => {
      await app?.close();
      await world?.close();
    });
    beforeEach(async () => {
      await world.auth.deleteCredentials('sandbox', 'alice');
    });

    it('completes the authorization round trip through the sandbox and stores the credential', async () => {
      const client = new Client(app.origin).signIn('alice');
      const answer = await client.connect();

      expect(answer).toMatchObject({ status: 303, location: '/?connected=sandbox' });
      expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
    });

    it('passes the returnTo cookie through with its attributes, one Set-Cookie header each', async () => {
      const client = new Client(app.origin).signIn('alice');
      const started = await client.get('/connect/sandbox/connect?returnTo=%2Fa');
      const again = await client.get('/connect/sandbox/connect?returnTo=%2Fb');
      const cookies = [...started.headers.getSetCookie(), ...again.headers.getSetCookie()];

      expect(cookies).toHaveLength(2);
      for (const cookie of cookies) expect(cookie).toMatch(/^authmanager_return_[0-9a-f]{16}=[^;]+; Path=\/connect; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    });

    it('disconnects with the CSRF token of a form (revoked at the sandbox), and refuses a planted one with 403', async () => {
      const client = new Client(app.origin).signIn('alice');
      await client.connect();
      const planted = await client.postForm('/connect/sandbox/disconnect', { csrf: handler.csrfToken('mallory') });
      const kept = await world.auth.loadCredentials('sandbox', 'alice');
      const done = await client.postForm('/connect/sandbox/disconnect', { csrf: handler.csrfToken('alice'), returnTo: '/after' });

      expect(planted.status).toBe(403);
      expect(kept).toBeDefined();
      expect(done).toMatchObject({ status: 303, location: '/after?disconnected=sandbox' });
      expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeUndefined();
    });

    it('answers GET /connect/connections with the subject\'s connections as JSON', async () => {
      const client = new Client(app.origin).signIn('alice');
      await client.connect();
      const answer = await client.get('/connect/connections');

      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(JSON.parse(answer.text)).toMatchObject({ subject: 'alice', connections: [{ provider: 'sandbox', status: 'active' }] });
    });

    it('serves the connect page with its CSP', async () => {
      const answer = await new Client(app.origin).signIn('alice').get('/connect');

      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'nonce-[A-Za-z0-9_-]{22}'; script-src 'nonce-[A-Za-z0-9_-]{22}'; img-src 'none'; form-action 'self'; /);
      expect(answer.text).toContain('id="connect-sandbox"');
    });

    it('answers 405 with Allow for a GET of the disconnect route', async () => {
      const answer = await new Client(app.origin).signIn('alice').get('/connect/sandbox/disconnect', { accept: 'application/json' });

      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('POST');
    });

    it('leaves the app\'s own routes to the app', async () => {
      const answer = await new Client(app.origin).get('/app/hello');

      expect(answer).toMatchObject({ status: 200, text: `hello from ${name}` });
    });
  });
}
