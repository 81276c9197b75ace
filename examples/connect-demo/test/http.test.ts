import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { defineProvider, oauthClientFields, type ProviderDefinition } from '@authmanager/core';
import { loadCatalogue, loadOptionalProviders } from '../src/providers.js';
import { catalogue } from '@authmanager/providers';
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

  it('connects the default subject and shows the account, status, expiry and scopes, never a token', async () => {
    const callback = await client.get((await authorizeAtSandbox(client, demo)).href);
    const page = await client.follow(callback);
    const credentials = await demo.auth.loadCredentials('sandbox', 'demo-user');

    expect(callback).toMatchObject({ status: 303, location: '/connect?connected=sandbox' });
    expect(flashText(page)).toBe('Connected Sandbox as sandbox-user.');
    expect(credentials).toBeDefined();
    expect(page).toContain('<dd class="account">sandbox-user</dd>');
    expect(page).toContain('id="status-sandbox">Connected<');
    expect(page).not.toContain(credentials?.accessToken);
    expect(page).not.toContain(credentials?.refreshToken);
    expect(page).toMatch(/<time datetime="[^"]+">in (?:1 h|59 min)<\/time>/); // the sandbox issues 3600 s tokens
    expect(page).toContain('<span class="scope">api:read</span>');
  });

  it('replaying a callback URL shows the invalid-state message and stores nothing', async () => {
    const callbackUrl = (await authorizeAtSandbox(client, demo)).href;
    await client.get(callbackUrl);
    await demo.auth.deleteCredentials('sandbox', 'demo-user');

    const replay = await client.get(callbackUrl);
    const page = await client.follow(replay);

    expect(replay).toMatchObject({ status: 303, location: '/connect?error=INVALID_STATE&provider=sandbox' });
    expect(flashText(page)).toBe('This sign-in response from Sandbox has expired or was already used, so it was ignored. Start again with Connect.');
    expect(page).toContain('class="message error"');
    expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
    expect(await countCredentialRecords(demo)).toBe(0);
  });

  it('Disconnect revokes at the sandbox: /api/me then answers 401 for the old token, and the credential is gone', async () => {
    await client.get((await authorizeAtSandbox(client, demo)).href);
    const old = await demo.auth.loadCredentials('sandbox', 'demo-user');
    const bearer = { authorization: `Bearer ${old?.accessToken}` };
    const before = await fetch(demo.sandbox.endpoints.apiMe, { headers: bearer });
    await before.body?.cancel();

    await client.home();
    const disconnect = await client.post('/connect/sandbox/disconnect', { returnTo: '/connect' });
    const page = await client.follow(disconnect);
    const afterwards = await fetch(demo.sandbox.endpoints.apiMe, { headers: bearer });
    await afterwards.body?.cancel();

    expect(before.status).toBe(200);
    expect(disconnect).toMatchObject({ status: 303, location: '/connect?disconnected=sandbox' });
    expect(flashText(page)).toBe('Disconnected Sandbox: the grant was revoked at Sandbox and the stored credential deleted.');
    expect(afterwards.status).toBe(401);
    expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
    expect(page).toContain('id="status-sandbox">Not connected<');
  });

  it('keeps each subject\'s connections apart', async () => {
    const switchedTo = await client.post('/subject', { subject: 'other-user' });
    const switched = await client.home();
    await client.get((await authorizeAtSandbox(client, demo)).href);

    expect(switchedTo).toMatchObject({ status: 303, location: '/connect' });
    expect(switched).toContain('Signed in as <strong id="current-subject">other-user</strong>');
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

    expect(bad.status).toBe(400);
    expect(bad.html).toContain('A subject is 1 to 64 letters, digits or . _ @ + - characters.');
    expect(bad.html).not.toContain('<script>alert(1)');
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

    const page = await client.follow(await client.get(callbackUrl.href));

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

    expect(page).toContain('<p class="hint" id="hint-acme">Set <code>ACME_CLIENT_ID</code> and <code>ACME_CLIENT_SECRET</code> to enable.</p>');
    expect(page).not.toContain('id="connect-acme"');
    expect(page).toContain('id="connect-sandbox"');
  });

  it('refuse to start an authorization, with the same hint', async () => {
    const client = new DemoClient(unconfigured.origin);
    await client.home();

    const res = await client.get('/connect/acme/connect');
    const page = await client.follow(res);

    expect(res).toMatchObject({ status: 303, location: '/connect?error=CONFIGURATION&provider=acme' });
    expect(flashText(page)).toBe('Acme is not set up on this server: an app credential (client ID, secret or redirect URI) is missing or invalid.');
  });

  it('get a Connect button once configured', async () => {
    const page = await new DemoClient(configured.origin).home();

    expect(page).toContain('id="connect-acme"');
    expect(page).not.toContain('id="hint-acme"');
  });

  it('explain that disconnect is POST only when it is opened with GET', async () => {
    const res = await new DemoClient(unconfigured.origin).get('/connect/sandbox/disconnect');

    expect(res.status).toBe(405);
    expect(res.html).toContain('This action only runs from the buttons on the page.');
  });

  it('send a callback for a provider that is not registered back to the page with PROVIDER_NOT_REGISTERED', async () => {
    const client = new DemoClient(unconfigured.origin);
    const res = await client.get('/connect/nope/callback?state=x');

    expect(res).toMatchObject({ status: 303, location: '/connect?error=PROVIDER_NOT_REGISTERED' });
    expect(flashText(await client.follow(res))).toBe('There is no such provider on this server.');
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
      expect(page).toContain(`<p class="hint" id="hint-${id}">Set <code>${prefix}_CLIENT_ID</code> and <code>${prefix}_CLIENT_SECRET</code> to enable.</p>`);
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

describe('connect demo: the provider catalogue', () => {
  let demo: DemoHarness;
  let page: string;

  beforeAll(async () => {
    const loaded = await loadCatalogue();
    expect(loaded.skipped).toEqual([]);
    demo = await startDemo({ interactive: false, extraProviders: loaded.registrations, env: {} });
    page = await new DemoClient(demo.origin).home();
  });
  afterAll(async () => {
    await demo.close();
  });

  it('lists every catalogue entry', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(40);
    for (const factory of catalogue) expect(page).toContain(`id="provider-${factory.definition.id}"`);
  });

  it('says which variables to set for each OAuth entry until it is configured, and shows the exact redirect URI to register', () => {
    for (const factory of catalogue) {
      const d = factory.definition as { id: string; oauth2?: unknown; appCredentials: Record<string, { env?: readonly string[] }> };
      if (!d.oauth2) continue;
      const clientIdEnv = d.appCredentials.clientId!.env![0]!;
      expect(page).toContain(`id="hint-${d.id}">Set <code>${clientIdEnv}</code>`);
      expect(page).not.toContain(`id="connect-${d.id}"`);
      expect(page).toContain(`id="redirect-${d.id}" value="${demo.origin}/connect/${d.id}/callback"`);
      expect(page).toContain(`id="copy-${d.id}"`);
    }
  });
});
