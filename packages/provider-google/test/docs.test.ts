import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthManager, AuthManagerError, envFrom } from '@authmanager/core';
import { startGoogleEmulator, type GoogleEmulator } from '@authmanager/testing';
import { google } from '../src/index.js';

// The code blocks of docs/providers/google.md are regions of this file; the first describe checks
// they are equal, the others run them.

const here = dirname(fileURLToPath(import.meta.url));
const page = join(here, '..', '..', '..', 'docs', 'providers', 'google.md');

type Endpoints = Partial<GoogleEmulator['appCredentials']>;

/** The OAuth flow of the page. `endpoints` is `{}` in production, the emulator's overrides here. */
async function flow(clientId: string, clientSecret: string, redirectUri: string, endpoints: Endpoints, browser: (url: URL) => Promise<string>) {
  // #region flow
  const auth = new AuthManager({
    providers: [google({ clientId, clientSecret, redirectUri, ...endpoints })],
  });

  // Step 1: send the user to Google's consent screen (access_type=offline, prompt=consent by default)
  const { url } = await auth.google.oauth2.authorize({
    subject: 'user-123',
    scopes: ['openid', 'email', 'https://www.googleapis.com/auth/gmail.readonly'],
    params: { login_hint: 'alice@example.com' },
  });

  // Step 2: Google redirects to redirectUri?code=…&state=…; exchange (ID token checked) and store
  const callbackUrl = await browser(url);
  const { credentials } = await auth.google.oauth2.complete({ callbackUrl });
  const account = await auth.account('google', 'user-123'); // { id: <sub>, label: <email> }

  // Step 3: call Google APIs; the session refreshes the access token when it is about to expire
  await using session = await auth.session('user-123');
  const me = await (await session.fetch('google', '/oauth2/v3/userinfo')).json();
  const gmail = auth.google.app().gmailBaseUrl; // https://gmail.googleapis.com
  const profile = await (await session.fetch('google', `${gmail}/gmail/v1/users/me/profile`)).json();
  const client = await session.google.client(); // google-auth-library OAuth2Client

  // Disconnect: revokes the grant at Google, deletes the stored credential
  await auth.google.oauth2.revoke({ subject: 'user-123' });
  // #endregion flow
  return { credentials, account, me, profile, client };
}

/** Static-token mode of the page. */
async function staticToken(env: Record<string, string>, endpoints: Endpoints) {
  // #region static
  // GOOGLE_ACCESS_TOKEN=ya29.… (e.g. from `gcloud auth print-access-token`)
  const auth = new AuthManager({ providers: [google({ ...endpoints })], env: envFrom(env) });
  await using session = await auth.session('any-subject'); // nothing stored: the static token is used
  const res = await session.fetch('google', '/oauth2/v3/userinfo');
  // #endregion static
  return res;
}

/** Service accounts on the page. */
async function serviceAccount(keyJson: string, endpoints: Endpoints) {
  // #region service-account
  const auth = new AuthManager({
    providers: [google({ serviceAccountKey: keyJson, ...endpoints })], // or GOOGLE_SERVICE_ACCOUNT_KEY
  });
  const token = await auth.google.serviceAccount.accessToken({
    scopes: ['https://www.googleapis.com/auth/drive.readonly'],
    // subject: 'someone@your-domain.com', // domain-wide delegation
  });
  // #endregion service-account
  return token;
}

/** Handling errors, as on the page. */
async function callbackHandler(auth: AuthManager<[ReturnType<typeof google>]>, callbackUrl: string) {
  // #region errors
  try {
    await auth.google.oauth2.complete({ callbackUrl });
    return 'connected';
  } catch (err) {
    if (AuthManagerError.is(err, 'INVALID_TOKEN_RESPONSE')) return 'Google’s ID token did not verify; try again';
    if (AuthManagerError.is(err, 'ACCOUNT_MISMATCH')) return 'This user is connected to another Google account';
    if (AuthManagerError.is(err, 'AUTHORIZATION_DENIED')) return 'You declined access';
    throw err;
  }
  // #endregion errors
}

/** How to test your own integration (the page's last section). */
async function emulatorExample(check: (grantType: string | undefined) => void) {
  // #region emulator
  const emulator = await startGoogleEmulator({ redirectUris: ['http://127.0.0.1:3000/oauth/google/callback'] });
  const auth = new AuthManager({ providers: [google({ ...emulator.appCredentials })] });
  const { url } = await auth.google.oauth2.authorize({ subject: 'user-1' });
  const callbackUrl = await emulator.approve(url); // the emulator approves at once: where its 302 points
  await auth.google.oauth2.complete({ callbackUrl });
  check(emulator.requests('token').at(-1)?.params.grant_type); // 'authorization_code'
  await emulator.close();
  // #endregion emulator
  return auth;
}

describe('docs/providers/google.md', () => {
  const markdown = readFileSync(page, 'utf8');
  const blocks = [...markdown.matchAll(/<!-- snippet: ([\w./-]+)#([\w-]+) -->\n```ts\n([\s\S]*?)```/g)]
    .map((m) => ({ source: m[1]!, region: m[2]!, code: m[3]! }));
  const self = readFileSync(fileURLToPath(import.meta.url), 'utf8');

  it('has the flow, static-token, service-account, errors and emulator snippets', () => {
    expect(blocks.map((b) => b.region).sort()).toEqual(['emulator', 'errors', 'flow', 'service-account', 'static']);
  });

  for (const b of blocks) {
    it(`snippet ${b.region} is that region of test/docs.test.ts`, () => {
      expect(b.source).toBe('../../packages/provider-google/test/docs.test.ts');
      const m = new RegExp(`// #region ${b.region}\\n([\\s\\S]*?)\\n\\s*// #endregion ${b.region}`).exec(self);
      expect(m).not.toBeNull();
      const lines = m![1]!.split('\n');
      const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
      expect(b.code.trimEnd()).toBe(lines.map((l) => l.slice(indent)).join('\n').trimEnd());
    });
  }

  it('lists every app credential with its env keys in the App Credentials table', () => {
    const fields = google().definition.appCredentials;
    for (const [name, field] of Object.entries(fields)) {
      const row = markdown.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row).toBeDefined();
      for (const key of field.env ?? []) expect(row).toContain(`\`${key}\``);
    }
  });
});

describe('the snippets run against the emulator', () => {
  let emu: GoogleEmulator;
  beforeAll(async () => { emu = await startGoogleEmulator(); });
  afterAll(async () => { await emu.close(); });
  const endpoints = () => {
    const { clientId, clientSecret, redirectUri, ...rest } = emu.appCredentials;
    void clientId; void clientSecret; void redirectUri;
    return rest;
  };
  const browser = (url: URL) => emu.approve(url);

  it('flow: connects alice, calls userinfo and Gmail, gets the SDK client, revokes', async () => {
    const r = await flow(emu.clientId, emu.clientSecret, emu.redirectUri, endpoints(), browser);
    const alice = emu.users.find((u) => u.email === 'alice@example.com')!;
    expect(r.account).toEqual({ id: alice.sub, label: alice.email });
    expect(r.me).toMatchObject({ sub: alice.sub, email: alice.email });
    expect(r.profile).toMatchObject({ emailAddress: alice.email });
    expect(typeof r.client.request).toBe('function');
    expect(emu.isTokenActive(r.credentials.refreshToken!)).toBe(false);
  });

  it('static: the configured token reaches the API', async () => {
    const token = emu.issueAccessToken({ scopes: ['openid', 'email'] });
    const res = await staticToken({ GOOGLE_ACCESS_TOKEN: token }, endpoints());
    expect(res.status).toBe(200);
    expect(emu.requests('userinfo').at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('service-account: a token from the JWT bearer grant', async () => {
    const token = await serviceAccount(JSON.stringify(emu.serviceAccountKey), endpoints());
    expect(emu.isTokenActive(token)).toBe(true);
  });

  it('errors: a tampered ID token and a denial get their messages', async () => {
    const auth = new AuthManager({ providers: [google({ ...emu.appCredentials })], env: envFrom({}) });
    const first = await auth.google.oauth2.authorize({ subject: 'errors' });
    emu.tamperNextIdToken('signature');
    expect(await callbackHandler(auth, await browser(first.url))).toBe('Google’s ID token did not verify; try again');
    const second = await auth.google.oauth2.authorize({ subject: 'errors' });
    emu.denyNextAuthorization();
    expect(await callbackHandler(auth, await browser(second.url))).toBe('You declined access');
    const third = await auth.google.oauth2.authorize({ subject: 'errors' });
    expect(await callbackHandler(auth, await browser(third.url))).toBe('connected');
  });

  it('emulator: the example connects and sees the code exchange', async () => {
    let seen: string | undefined;
    const auth = await emulatorExample((grantType) => { seen = grantType; });
    expect(seen).toBe('authorization_code');
    expect(await auth.loadCredentials('google', 'user-1')).toBeDefined();
  });
});
