import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthManager, Credentials } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { acme, disconnect, makeCallbackHandler } from '../snippets/flows.js';
import { handler, job, options } from '../snippets/sessions.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REDIRECT = 'http://127.0.0.1:9/callback';
let server: SandboxProvider;
beforeAll(async () => { server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT] }); });
afterAll(async () => { await server.close(); });
const browser = (url: URL) => followAuthorization(url, REDIRECT);

/** `<!-- snippet: file#region -->` followed by a fenced block must equal that region of docs/snippets/file. */
describe('every snippet in docs/*.md, README.md and packages/*/README.md is a region of a file these tests run', () => {
  const packages = join(root, '..', 'packages');
  const markdown = [
    ...readdirSync(root).filter((f) => f.endsWith('.md')).map((f) => join(root, f)),
    join(root, '..', 'README.md'),
    ...readdirSync(packages).map((d) => join(packages, d, 'README.md')).filter((f) => existsSync(f)),
  ];
  const blocks = markdown.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/<!-- snippet: ([\w./-]+)#([\w-]+) -->\n```ts\n([\s\S]*?)```/g)]
    .map((m) => ({ file, source: m[1]!, region: m[2]!, code: m[3]! })));
  it('finds snippets', () => { expect(blocks.length).toBeGreaterThanOrEqual(8); });
  for (const b of blocks) {
    it(`${b.file.split('/').slice(-2).join('/')}: ${b.source}#${b.region}`, () => {
      const text = readFileSync(join(root, 'snippets', b.source), 'utf8');
      const m = new RegExp(`// #region ${b.region}\\n([\\s\\S]*?)\\n\\s*// #endregion ${b.region}`).exec(text);
      expect(m).not.toBeNull();
      const lines = m![1]!.split('\n');
      const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
      expect(b.code.trimEnd()).toBe(lines.map((l) => l.slice(indent)).join('\n').trimEnd());
    });
  }
});

describe('the snippets run', () => {
  it('the callback handler stores on success and explains a replay and a denial', async () => {
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })] });
    const handle = makeCallbackHandler(auth);
    const { url, state } = await auth.sandbox.oauth2.authorize({ subject: 'cb-user', params: { login_hint: 'cb-user' } });
    const cb = (await browser(url)).href;
    expect(await handle(cb)).toEqual({ status: 303, body: 'connected cb-user' });
    expect(await handle(cb)).toEqual({ status: 400, body: 'This link expired or was already used; connect again.' });
    const second = await auth.sandbox.oauth2.authorize({ subject: 'cb-user' });
    // As the sandbox sends it: error responses carry iss too (RFC 9207 §2).
    expect(await handle(`${REDIRECT}?error=access_denied&state=${second.state}&iss=${encodeURIComponent(server.issuer)}`)).toEqual({ status: 400, body: 'You declined access.' });
    void state;
    expect(await disconnect(auth, 'cb-user')).toBe(true);
    expect(await auth.loadCredentials('sandbox', 'cb-user')).toBeUndefined();
  });

  it('a provider defined in a few dozen lines runs the whole flow', async () => {
    const auth = new AuthManager({
      providers: [acme({ baseUrl: server.issuer, clientId: server.clientId, clientSecret: server.clientSecret, redirectUri: REDIRECT })],
    });
    // The sandbox is a standard OpenID Connect server: offline_access needs prompt=consent (Core §11).
    const { url } = await auth.acme.oauth2.authorize({ subject: 'acme-user', params: { login_hint: 'acme-user', prompt: 'consent' } });
    expect(url.searchParams.get('scope')).toBe('offline_access api:read');
    await auth.acme.oauth2.complete({ callbackUrl: await browser(url) });
    await using session = await auth.session('acme-user');
    const me = await (await session.fetch('acme', '/me')).json() as { sub: string };
    expect(me.sub).toBe('acme-user');
    const before = await session.accessToken('acme');
    const refreshed = await session.refresh('acme');
    expect(refreshed.accessToken).not.toBe(before);
    expect(await auth.acme.oauth2.revoke({ subject: 'acme-user' })).toBe(true);
    expect((await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${refreshed.accessToken}` } })).status).toBe(401);
  });

  it('session handler, job and options', async () => {
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })] });
    expect(await handler(auth, 'nobody')).toEqual({ status: 409, body: { reconnect: 'sandbox' } });
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'job-user', params: { login_hint: 'job-user' } });
    await auth.sandbox.oauth2.complete({ callbackUrl: await browser(url) });
    expect(await handler(auth, 'job-user')).toMatchObject({ status: 200, body: { sub: 'job-user' } });
    expect(await job(auth, 'job-user')).toBe((await auth.loadCredentials('sandbox', 'job-user'))!.accessToken);
    expect(await options(auth, 'job-user', 'given-token')).toBe('given-token');
    expect((await auth.loadCredentials('sandbox', 'job-user'))).toBeInstanceOf(Credentials);
  });
});

describe('coming from worker.oauth(): the mapped declaration runs the whole flow', () => {
  it('connects on the sandbox, and listRepos calls the API with the session\'s token', async () => {
    const { githubAuth, salesforceAuth, listRepos } = await import('../snippets/workerOauth.js');
    // A stand-in for api.github.com that records what it is sent.
    const seen: { path?: string; authorization?: string } = {};
    const api = createServer((req, res) => {
      seen.path = req.url; seen.authorization = req.headers.authorization;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([{ name: 'repo-1' }]));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      // Every endpoint of an oauth2() provider is an app credential: point them at the sandbox and the stand-in.
      const auth = new AuthManager({
        providers: [githubAuth({
          authorizationUrl: `${server.issuer}/auth`, tokenUrl: `${server.issuer}/token`,
          apiBaseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
          clientId: server.clientId, clientSecret: server.clientSecret, redirectUri: REDIRECT, scopes: ['api:read'],
        })],
        env: () => undefined,
      });
      const { url } = await auth.github.oauth2.authorize({ subject: 'worker-user', params: { login_hint: 'worker-user' } });
      expect(url.searchParams.get('scope')).toBe('api:read');
      await auth.github.oauth2.complete({ callbackUrl: await browser(url) });
      expect(await listRepos(auth, 'worker-user')).toEqual([{ name: 'repo-1' }]);
      const stored = await auth.loadCredentials('github', 'worker-user');
      expect(seen).toEqual({ path: '/user/repos', authorization: `Bearer ${stored!.accessToken}` });
    } finally {
      api.close();
    }
    // accessTokenExpireMs → accessTokenLifetimeSeconds; env keys under the named prefix.
    expect(salesforceAuth.definition.oauth2.defaultAccessTokenLifetimeSeconds).toBe(3600);
    expect(githubAuth.definition.appCredentials.clientId.env).toEqual(['GITHUB_CLIENT_ID']);
  });
});
