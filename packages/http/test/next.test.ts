import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { followAuthorization, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { Client } from './support.js';

const PACKAGE = dirname(dirname(fileURLToPath(import.meta.url)));
const REPO = dirname(dirname(PACKAGE));
const NEXT_BIN = join(PACKAGE, 'node_modules', 'next', 'dist', 'bin', 'next');
const SECRET = 'next-test-secret-0123456789-abcdefghijkl';

/**
 * A small Next.js App Router app, written in plain JavaScript (no TypeScript: Next would install
 * @types packages on its own), inside this package so that `next`, `react` and the authmanager
 * packages resolve from its node_modules. The handler is made on the first request: Next loads
 * route modules while building, when the sandbox's address is not known yet.
 */
function writeApp(dir: string): void {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ private: true, type: 'module' }),
    'next.config.mjs': `export default { turbopack: { root: ${JSON.stringify(REPO)} }, poweredByHeader: false, serverExternalPackages: ['@authmanager/core', '@authmanager/testing', '@authmanager/http'] };\n`,
    'app/layout.js': `export default function RootLayout({ children }) { return children; }\n`,
    'lib/connect.js': `import { AuthManager } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';
import { createConnectHandler } from '@authmanager/http';

let handler;
/** The connect routes of this app; the subject is the \`user\` cookie, as the app's own sign-in would set it. */
export function connect() {
  handler ??= createConnectHandler({
    auth: new AuthManager({ providers: [sandbox({ issuer: process.env.SANDBOX_ISSUER, clientId: process.env.SANDBOX_CLIENT_ID, clientSecret: process.env.SANDBOX_CLIENT_SECRET })] }),
    secret: process.env.CONNECT_SECRET,
    getSubject: (request) => /(?:^|;\\s*)user=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1],
    page: true,
  });
  return handler;
}
`,
    'app/connect/[[...authmanager]]/route.js': `import { connectRouteHandlers } from '@authmanager/http/next';
import { connect } from '../../../lib/connect.js';

export const { GET, HEAD, POST } = connectRouteHandlers(Object.assign((request) => connect()(request), { basePath: '/connect' }));
export const dynamic = 'force-dynamic';
`,
    'app/app/hello/route.js': `export function GET() { return new Response('hello from Next.js', { headers: { 'content-type': 'text/plain' } }); }\n`,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  // The app imports @authmanager/http by name, as an app that installed it would.
  mkdirSync(join(dir, 'node_modules', '@authmanager'), { recursive: true });
  symlinkSync(PACKAGE, join(dir, 'node_modules', '@authmanager', 'http'), 'dir');
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [NEXT_BIN, ...args], { cwd, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { output += c.toString(); });
  return Object.assign(child, { output: () => output });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Next.js App Router route handlers (next build, next start)', () => {
  const dir = join(PACKAGE, `.next-test-${process.pid}`);
  let sandboxServer: SandboxProvider;
  let server: (ChildProcess & { output: () => string }) | undefined;
  let origin: string;
  let buildOutput = '';

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    writeApp(dir);
    const build = run(['build'], dir, {});
    const code = await new Promise<number | null>((resolve) => build.on('exit', resolve));
    buildOutput = build.output();
    if (code !== 0) throw new Error(`next build failed (${code}):\n${buildOutput}`);
    sandboxServer = await startSandboxProvider({ interactive: false });
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    sandboxServer.addRedirectUri(`${origin}/connect/sandbox/callback`);
    server = run(['start', '-p', String(port), '-H', '127.0.0.1'], dir, {
      SANDBOX_ISSUER: sandboxServer.issuer, SANDBOX_CLIENT_ID: sandboxServer.clientId, SANDBOX_CLIENT_SECRET: sandboxServer.clientSecret, CONNECT_SECRET: SECRET,
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${origin}/app/hello`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`next start did not answer:\n${server.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 240_000);
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server!.once('exit', resolve));
    }
    await sandboxServer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the catch-all connect route as a dynamic route', () => {
    expect(buildOutput).toMatch(/ƒ \/connect\/\[\[\.\.\.authmanager\]\]/);
  });

  it('completes the authorization round trip through the sandbox, and lists the connection', async () => {
    const client = new Client(origin).signIn('alice');
    const started = await client.get('/connect/sandbox/connect');
    const redirectUri = new URL(started.location!).searchParams.get('redirect_uri');
    const callback = await followAuthorization(started.location!, `${origin}/connect/sandbox/callback`);
    const done = await client.get(callback.href);
    const list = await client.get('/connect/connections');

    expect(redirectUri).toBe(`${origin}/connect/sandbox/callback`);
    expect(started.status).toBe(303);
    expect(done).toMatchObject({ status: 303, location: '/?connected=sandbox' });
    expect(JSON.parse(list.text)).toMatchObject({ subject: 'alice', connections: [{ provider: 'sandbox', status: 'active', account: { id: 'sandbox-user' } }] });
  });

  it('disconnects with the page\'s CSRF token and refuses a planted one with 403', async () => {
    const client = new Client(origin).signIn('bob');
    await client.connect();
    const page = await client.get('/connect');
    const token = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    const planted = await client.postForm('/connect/sandbox/disconnect', { csrf: `${token?.slice(0, -2)}xx` });
    const returnTo = /name="returnTo" value="([^"]+)"/.exec(page.text)?.[1];
    const done = await client.postForm('/connect/sandbox/disconnect', { csrf: token!, returnTo: returnTo! });
    const list = await client.get('/connect/connections');

    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'nonce-/);
    expect(planted.status).toBe(403);
    expect(done).toMatchObject({ status: 303, location: '/connect?disconnected=sandbox' });
    expect(JSON.parse(list.text)).toMatchObject({ connections: [] });
  });

  it('keeps every Set-Cookie header apart', async () => {
    const client = new Client(origin).signIn('carol');
    const first = await client.get('/connect/sandbox/connect?returnTo=%2Fa');
    const second = await client.get('/connect/sandbox/connect?returnTo=%2Fb');

    expect([...first.headers.getSetCookie(), ...second.headers.getSetCookie()]).toEqual([
      expect.stringMatching(/^authmanager_return_[0-9a-f]{16}=[^;]+; Path=\/connect; HttpOnly; SameSite=Lax; Max-Age=\d+$/),
      expect.stringMatching(/^authmanager_return_[0-9a-f]{16}=[^;]+; Path=\/connect; HttpOnly; SameSite=Lax; Max-Age=\d+$/),
    ]);
  });

  it('answers 405 with Allow for a GET of the disconnect route', async () => {
    const answer = await new Client(origin).signIn('alice').get('/connect/sandbox/disconnect', { accept: 'application/json' });

    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
  });
});
