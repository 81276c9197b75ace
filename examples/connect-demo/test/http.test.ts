import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { defineProvider, oauthClientFields, redactToken, type ProviderDefinition } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';
import { loadOptionalProviders } from '../src/providers.js';
import { authorizeAtSandbox, DemoClient, flashText, startDemo, type DemoHarness } from './harness.js';

/** A provider that needs app credentials, like the first-party ones (`ACME_CLIENT_ID`, `ACME_CLIENT_SECRET`). */
const acme = defineProvider({
  id: 'acme',
  displayName: 'Acme',
  appCredentials: { ...oauthClientFields('ACME') },
  oauth2: {
    server: () => ({ authorizationEndpoint: 'https://acme.invalid/authorize', tokenEndpoint: 'https://acme.invalid/token' }),
    clientAuthentication: 'client_secret_basic',
  },
  api: { baseUrl: 'https://api.acme.invalid' },
} satisfies ProviderDefinition<'acme'>);

/**
 * The sandbox with its API base one path deeper (`<issuer>/rest/v1`), like Salesforce's versioned
 * REST base: its probe, `/api/me`, lies on the origin, outside the base.
 */
const nested = defineProvider({
  ...sandbox().definition,
  id: 'nested',
  displayName: 'Nested API',
  api: { baseUrl: ({ app }: { readonly app: Record<string, unknown> }) => `${String(app.issuer)}/rest/v1` },
});

async function countCredentialRecords(demo: DemoHarness): Promise<number> {
  let n = 0;
  for await (const _key of demo.auth.store.list({ kind: 'credentials' })) n += 1;
  return n;
}

describe('connect demo over HTTP (headless sandbox)', () => {
  let demo: DemoHarness;
  let client: DemoClient;

  beforeAll(async () => {
    demo = await startDemo({ interactive: false });
  });
  afterAll(async () => {
    await demo.close();
  });
  beforeEach(async () => {
    client = new DemoClient(demo.origin);
    await client.home();
  });
  afterEach(async () => {
    await demo.auth.deleteCredentials('sandbox', 'demo-user');
  });

  it('connects the default subject and shows the account with its token redacted', async () => {
    const callback = await client.get((await authorizeAtSandbox(client, demo)).href);
    const page = await client.home();
    const credentials = await demo.auth.loadCredentials('sandbox', 'demo-user');

    expect(callback).toMatchObject({ status: 303, location: '/' });
    expect(flashText(page)).toBe('Connected Sandbox as sandbox-user for subject demo-user.');
    expect(credentials).toBeDefined();
    expect(page).toContain(`<td class="account" data-label="Account">sandbox-user</td>`);
    expect(page).toContain(redactToken(credentials?.accessToken));
    expect(page).not.toContain(credentials?.accessToken);
    expect(page).not.toContain(credentials?.refreshToken);
    expect(page).toMatch(/data-expires-at-ms="\d+"[^>]*>in (?:1h 0m 0s|59m \d{1,2}s)</); // the sandbox issues 3600 s tokens
    expect(page).toContain('<span class="scope">api:read</span>');
  });

  it('replaying a callback URL shows the invalid-state message and stores nothing', async () => {
    const callbackUrl = (await authorizeAtSandbox(client, demo)).href;
    await client.get(callbackUrl);
    await demo.auth.deleteCredentials('sandbox', 'demo-user');

    const replay = await client.get(callbackUrl);
    const page = await client.home();

    expect(replay).toMatchObject({ status: 303, location: '/' });
    expect(flashText(page)).toBe('This sign-in response from Sandbox has expired or was already used, so it was ignored. Start again with Connect.');
    expect(page).toContain('class="flash error"');
    expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
    expect(await countCredentialRecords(demo)).toBe(0);
  });

  it('Call API shows the JSON of the sandbox /api/me for the connected account', async () => {
    await client.get((await authorizeAtSandbox(client, demo)).href);

    const call = await client.post('/call/sandbox');
    const page = await client.home();

    expect(call).toMatchObject({ status: 303, location: '/' });
    expect(flashText(page)).toContain('Sandbox answered the API call. Sandbox GET /api/me → HTTP 200');
    expect(flashText(page)).toContain('"sub": "sandbox-user"');
  });

  it('Refresh now stores a new access token', async () => {
    await client.get((await authorizeAtSandbox(client, demo)).href);
    const before = await demo.auth.loadCredentials('sandbox', 'demo-user');

    await client.post('/refresh/sandbox');
    const page = await client.home();
    const after = await demo.auth.loadCredentials('sandbox', 'demo-user');

    expect(flashText(page)).toMatch(/^Refreshed the Sandbox access token; the new access token expires in (?:1h 0m 0s|59m \d{1,2}s)\.$/);
    expect(after?.accessToken).toBeDefined();
    expect(after?.accessToken).not.toBe(before?.accessToken);
  });

  it('a failed refresh (grant revoked at the provider) shows a readable message without secrets', async () => {
    await client.get((await authorizeAtSandbox(client, demo)).href);
    const credentials = await demo.auth.loadCredentials('sandbox', 'demo-user');
    await demo.sandbox.revokeGrantsFor('sandbox-user');

    await client.post('/refresh/sandbox');
    const page = await client.home();

    expect(flashText(page)).toBe('Sandbox no longer accepts this connection (it was revoked or has expired). Connect again to continue.');
    expect(page).not.toContain(credentials?.refreshToken);
  });

  it('Disconnect revokes at the sandbox: /api/me then answers 401 for the old token, and the credential is gone', async () => {
    await client.get((await authorizeAtSandbox(client, demo)).href);
    const old = await demo.auth.loadCredentials('sandbox', 'demo-user');
    const bearer = { authorization: `Bearer ${old?.accessToken}` };
    const before = await fetch(demo.sandbox.endpoints.apiMe, { headers: bearer });
    await before.body?.cancel();

    const disconnect = await client.post('/disconnect/sandbox');
    const page = await client.home();
    const afterwards = await fetch(demo.sandbox.endpoints.apiMe, { headers: bearer });
    await afterwards.body?.cancel();

    expect(before.status).toBe(200);
    expect(disconnect).toMatchObject({ status: 303, location: '/' });
    expect(flashText(page)).toBe('Disconnected Sandbox: the grant was revoked at Sandbox and the stored credential deleted.');
    expect(afterwards.status).toBe(401);
    expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
    expect(page).toContain('id="connections-empty"');
  });

  it('keeps each subject\'s connections apart', async () => {
    await client.post('/subject', { subject: 'other-user' });
    const switched = await client.home();
    await client.get((await authorizeAtSandbox(client, demo)).href);

    expect(flashText(switched)).toBe('Switched to subject other-user.');
    expect(await demo.auth.loadCredentials('sandbox', 'other-user')).toBeDefined();
    expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
    await demo.auth.deleteCredentials('sandbox', 'other-user');
  });

  it('refuses a POST without the CSRF token of the page', async () => {
    const res = await client.post('/subject', { subject: 'intruder', csrf: 'forged' });

    expect(res.status).toBe(403);
    expect(client.cookie('demo_subject')).toBeUndefined();
  });

  it('escapes what the page echoes', async () => {
    const bad = await client.post('/subject', { subject: '<script>alert(1)</script>' });
    const page = await client.home();

    expect(bad.status).toBe(303);
    expect(flashText(page)).toBe('A subject is 1 to 64 letters, digits or . _ @ + - characters.');
    expect(page).not.toContain('<script>alert(1)');
  });
});

describe('connect demo: an expired state', () => {
  let demo: DemoHarness;
  let clockMs = Date.now();

  beforeAll(async () => {
    demo = await startDemo({ interactive: false, now: () => clockMs });
  });
  afterAll(async () => {
    await demo.close();
  });

  it('shows the invalid-state message when the callback comes after the state expired', async () => {
    const client = new DemoClient(demo.origin);
    await client.home();
    const callbackUrl = await authorizeAtSandbox(client, demo);
    clockMs += 601_000; // the default pending-authorization lifetime is 600 s

    await client.get(callbackUrl.href);
    const page = await client.home();

    expect(flashText(page)).toBe('This sign-in response from Sandbox has expired or was already used, so it was ignored. Start again with Connect.');
    expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
  });
});

describe('connect demo: providers without app credentials', () => {
  let unconfigured: DemoHarness;
  let configured: DemoHarness;

  beforeAll(async () => {
    unconfigured = await startDemo({ interactive: false, extraProviders: [acme()], env: {} });
    configured = await startDemo({ interactive: false, extraProviders: [acme()], env: { ACME_CLIENT_ID: 'id', ACME_CLIENT_SECRET: 'secret' } });
  });
  afterAll(async () => {
    await unconfigured.close();
    await configured.close();
  });

  it('show the "set …_CLIENT_ID" hint instead of a Connect button', async () => {
    const page = await new DemoClient(unconfigured.origin).home();

    expect(page).toContain('<span class="hint" id="hint-acme">set ACME_CLIENT_ID and ACME_CLIENT_SECRET to enable</span>');
    expect(page).not.toContain('id="connect-acme"');
    expect(page).toContain('id="connect-sandbox"');
  });

  it('refuse to start an authorization, with the same hint', async () => {
    const client = new DemoClient(unconfigured.origin);
    await client.home();

    const res = await client.post('/connect/acme');
    const page = await client.home();

    expect(res).toMatchObject({ status: 303, location: '/' });
    expect(flashText(page)).toBe('Acme is not configured: set ACME_CLIENT_ID and ACME_CLIENT_SECRET to enable.');
  });

  it('get a Connect button once configured', async () => {
    const page = await new DemoClient(configured.origin).home();

    expect(page).toContain('id="connect-acme"');
    expect(page).not.toContain('id="hint-acme"');
  });

  it('explain that actions are POST only when one is opened with GET', async () => {
    const res = await new DemoClient(unconfigured.origin).get('/connect/sandbox');

    expect(res.status).toBe(405);
    expect(res.html).toContain('This action changes state, so it only runs from the buttons on the demo page.');
  });

  it('answer 404 for a provider that is not registered', async () => {
    const res = await new DemoClient(unconfigured.origin).get('/callback/nope?state=x');

    expect(res.status).toBe(404);
    expect(res.html).toContain('There is no provider &quot;nope&quot; in this demo.');
  });
});

describe('connect demo: Call API outside the provider\'s API base URL', () => {
  let demo: DemoHarness;

  beforeAll(async () => {
    demo = await startDemo({ interactive: false, extraProviders: (server) => [nested({ issuer: server.issuer })], probes: { nested: { originPath: '/api/me' } } });
  });
  afterAll(async () => {
    await demo.close();
  });

  it('resolves an { originPath } probe on the origin of the base URL', async () => {
    const client = new DemoClient(demo.origin);
    await client.home();
    await client.get((await authorizeAtSandbox(client, demo, 'nested')).href);

    await client.post('/call/nested');
    const page = await client.home();

    expect(flashText(page)).toContain('Nested API answered the API call. Nested API GET /api/me → HTTP 200');
    expect(flashText(page)).toContain('"sub": "sandbox-user"');
  });
});

describe('connect demo: the first-party provider packages', () => {
  let demo: DemoHarness;
  let loaded: Awaited<ReturnType<typeof loadOptionalProviders>>;

  beforeAll(async () => {
    loaded = await loadOptionalProviders();
    demo = await startDemo({ interactive: false, extraProviders: loaded.registrations, env: {} });
  });
  afterAll(async () => {
    await demo.close();
  });

  it('are all loaded', () => {
    expect(loaded.skipped).toEqual([]);
    expect(loaded.registrations.map((r) => r.id)).toEqual(['notion', 'github', 'google', 'salesforce']);
  });

  it('show their "set …_CLIENT_ID and …_CLIENT_SECRET" hints while unconfigured', async () => {
    const page = await new DemoClient(demo.origin).home();

    for (const prefix of ['NOTION', 'GITHUB', 'GOOGLE', 'SALESFORCE']) {
      const id = prefix.toLowerCase();
      expect(page).toContain(`<span class="hint" id="hint-${id}">set ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET to enable</span>`);
      expect(page).not.toContain(`id="connect-${id}"`);
    }
  });

  it('that are missing or lack their factory are skipped with the reason, not fatal', async () => {
    const result = await loadOptionalProviders([
      { packageName: '@authmanager/provider-does-not-exist', factory: 'nothing' },
      { packageName: '@authmanager/core', factory: 'notAFactory' },
    ]);

    expect(result.registrations).toEqual([]);
    expect(result.skipped).toEqual([
      { packageName: '@authmanager/provider-does-not-exist', reason: 'not installed or not built yet' },
      { packageName: '@authmanager/core', reason: 'it does not export "notAFactory" yet' },
    ]);
  });
});
