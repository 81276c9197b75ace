import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, envFrom } from '@authmanager/core';
import { sandbox, startSandboxProvider } from '@authmanager/testing';
import { createDemoApp, listeningOrigin } from '../src/app.js';
import { formatLogLine, readableLogDestination } from '../src/logLines.js';
import { authorizeAtSandbox, DemoClient, flashText, startDemo, type DemoHarness } from './harness.js';

/** Log lines of a demo, as pino wrote them (one JSON object each). */
class LogCapture {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  text(): string {
    return this.lines.join('');
  }
}

/** What an internal error message would show: Fastify's JSON error shape, a stack, a TypeError. */
const INTERNALS = /statusCode|"error"\s*:|TypeError|at [\w.]+ \(|Buffer|FST_ERR/;

describe('connect demo forms: every field validated (regression: non-string fields gave HTTP 500 with internal messages)', () => {
  let demo: DemoHarness;
  let client: DemoClient;
  const cases: Record<string, { contentType: string; body: string }> = {};
  const answers: Record<string, Awaited<ReturnType<DemoClient['postRaw']>>> = {};

  beforeAll(async () => {
    demo = await startDemo({ interactive: false });
    client = new DemoClient(demo.origin);
    await client.home();
    const csrf = client.csrf;
    Object.assign(cases, {
      'a repeated field (subject=a&subject=b)': { contentType: 'application/x-www-form-urlencoded', body: `csrf=${csrf}&subject=a&subject=b` },
      'a repeated csrf field': { contentType: 'application/x-www-form-urlencoded', body: `csrf=${csrf}&csrf=${csrf}&subject=a` },
      'JSON {"csrf":5}': { contentType: 'application/json', body: '{"csrf":5,"subject":"a"}' },
      'JSON {"csrf":null}': { contentType: 'application/json', body: '{"csrf":null,"subject":"a"}' },
      'JSON with a number for subject': { contentType: 'application/json', body: JSON.stringify({ csrf, subject: 7 }) },
      'a JSON array': { contentType: 'application/json', body: '[1,2]' },
      'an unknown field': { contentType: 'application/x-www-form-urlencoded', body: `csrf=${csrf}&subject=a&admin=1` },
      'broken JSON': { contentType: 'application/json', body: '{"csrf":' },
      'a text/plain body': { contentType: 'text/plain', body: `csrf=${csrf}&subject=a` },
    });
    for (const [name, { contentType, body }] of Object.entries(cases)) answers[name] = await client.postRaw('/subject', contentType, body);
  });
  afterAll(() => demo.close());

  it.each([
    'a repeated field (subject=a&subject=b)', 'a repeated csrf field', 'JSON {"csrf":5}', 'JSON {"csrf":null}',
    'JSON with a number for subject', 'a JSON array', 'an unknown field', 'broken JSON', 'a text/plain body',
  ])('answers %s with 400 and a readable page', (name) => {
    const answer = answers[name]!;
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^text\/html/);
    expect(answer.html).toContain('Go back');
    expect(answer.html).not.toMatch(INTERNALS);
  });

  it('says which field is wrong', () => {
    expect(answers['a repeated field (subject=a&subject=b)']!.html).toContain('The field &quot;subject&quot; is missing or not a single text value.');
    expect(answers['JSON {"csrf":5}']!.html).toContain('The field &quot;csrf&quot; is missing or not a single text value.');
    expect(answers['an unknown field']!.html).toContain('a field the demo does not know: &quot;admin&quot;');
    expect(answers['a text/plain body']!.html).toContain('The request body is not a form.');
  });

  it('answers a body of a media type it does not read (XML) with 415 and a readable page', async () => {
    const answer = await client.postRaw('/subject', 'application/xml', '<csrf/>');
    expect(answer.status).toBe(415);
    expect(answer.html).toContain('of a kind the demo does not read');
    expect(answer.html).not.toMatch(INTERNALS);
  });

  it('answers a URL with broken percent-encoding with a 400 page, not Fastify\'s JSON', async () => {
    const answer = await client.get('/callback/%E0%A4%A');
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^text\/html/);
    expect(answer.html).toContain('Request not understood');
    expect(answer.html).not.toMatch(INTERNALS);
  });

  it('switches the subject with a well-formed JSON body too', async () => {
    const answer = await client.postRaw('/subject', 'application/json', JSON.stringify({ csrf: client.csrf, subject: 'json-user' }));
    expect(answer).toMatchObject({ status: 303, location: '/connect' });
    expect(client.cookie('demo_subject')).toBe('json-user');
  });
});

describe('connect demo CSRF token bound to the subject (regression: double-submit only, so another app on the host could plant a pair)', () => {
  let demo: DemoHarness;

  beforeAll(async () => {
    demo = await startDemo({ interactive: false });
  });
  afterAll(() => demo.close());

  /** A client that never loaded the page: only what an attacker planted. */
  async function planted(cookies: Record<string, string>, csrf: string, headers: Record<string, string> = {}) {
    const client = new DemoClient(demo.origin);
    for (const [name, value] of Object.entries(cookies)) client.plantCookie(name, value);
    const res = await client.postRaw('/subject', 'application/x-www-form-urlencoded', new URLSearchParams({ csrf, subject: 'planted' }).toString(), headers);
    return { res, subjectCookie: client.cookie('demo_subject') };
  }

  it('refuses a planted cookie and field pair of the same value (the old double-submit pair) with 403', async () => {
    const value = randomBytes(32).toString('base64url');
    const { res, subjectCookie } = await planted({ demo_csrf: value, demo_session: value }, value);
    expect(res.status).toBe(403);
    expect(res.html).toContain('Form expired');
    expect(subjectCookie).toBeUndefined();
  });

  it('refuses a token in the right format made under another secret with 403', async () => {
    const issued = Math.floor(Date.now() / 1000).toString(36);
    const forged = `v1.${issued}.${createHmac('sha256', randomBytes(32)).update(`authmanager-http csrf v1\0demo-user\0${issued}`).digest('base64url')}`;
    const { res } = await planted({}, forged);
    expect(res.status).toBe(403);
  });

  it('refuses one subject\'s token with another subject\'s cookie', async () => {
    const alice = new DemoClient(demo.origin);
    await alice.home();
    const { res } = await planted({ demo_subject: 'bob' }, alice.csrf);
    expect(res.status).toBe(403);
  });

  it('refuses a valid token posted from another origin (another port of the same host)', async () => {
    const client = new DemoClient(demo.origin);
    await client.home();
    const { res } = await planted({}, client.csrf, { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' });
    expect(res.status).toBe(403);
  });

  it('refuses a valid token from another origin when the browser sends only Origin (no Sec-Fetch-Site)', async () => {
    const client = new DemoClient(demo.origin);
    await client.home();
    const { res } = await planted({}, client.csrf, { origin: 'http://127.0.0.1:1' });
    expect(res.status).toBe(403);
  });

  it('accepts its own subject\'s token from its own origin', async () => {
    const client = new DemoClient(demo.origin);
    await client.home();
    const { res } = await planted({}, client.csrf, { origin: demo.origin, 'sec-fetch-site': 'same-origin' });
    expect(res).toMatchObject({ status: 303, location: '/connect' });
  });
});

describe('connect demo DEMO_SECRET', () => {
  it('refuses a secret shorter than 32 characters, without printing it', () => {
    const auth = new AuthManager({ providers: [], env: envFrom({}) });
    expect(() => createDemoApp({ auth, storeLabel: 'Memory', secret: 'short-secret-value' })).toThrow(/^The CSRF secret \(DEMO_SECRET\) must be at least 32 characters$/);
  });

  it('keeps a page\'s token valid across a restart when the secret is fixed', async () => {
    const server = await startSandboxProvider({ interactive: false });
    const secret = randomBytes(32).toString('base64url');
    const start = async () => {
      const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, clientId: server.clientId, clientSecret: server.clientSecret })], env: envFrom({}) });
      const app = createDemoApp({ auth, storeLabel: 'Memory', secret });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { app, auth, origin: listeningOrigin(app.server) };
    };
    const first = await start();
    const client = new DemoClient(first.origin);
    await client.home();
    await first.app.close();
    const second = await start();
    const again = new DemoClient(second.origin);
    const res = await again.post('/subject', { csrf: client.csrf, subject: 'after-restart' });
    await second.app.close();
    await server.close();
    expect(res).toMatchObject({ status: 303, location: '/connect' });
  });
});

describe('connect demo log (regression: error_description reached the log; a denied consent was a warning)', () => {
  let demo: DemoHarness;
  let log: LogCapture;
  let client: DemoClient;
  const description = 'free text from the provider, maybe personal data 4f1d';
  let deniedLog: Record<string, unknown>[];
  let failedLog: Record<string, unknown>[];
  let tokens: string[];

  /** A callback with a valid state and the given error, as a provider would send it. */
  async function callbackWithError(error: string) {
    const connect = await client.get('/connect/sandbox/connect');
    const state = new URL(connect.location!).searchParams.get('state')!;
    return client.get(`/connect/sandbox/callback?${new URLSearchParams({ error, error_description: description, state, iss: demo.sandbox.issuer })}`);
  }

  beforeAll(async () => {
    log = new LogCapture();
    demo = await startDemo({ interactive: false, log: { level: 'info', stream: log } });
    client = new DemoClient(demo.origin);
    await client.home();

    await callbackWithError('access_denied');
    deniedLog = log.entries().filter((e) => e.msg === 'consent denied');
    await callbackWithError('temporarily_unavailable');
    failedLog = log.entries().filter((e) => e.msg === 'action failed');

    // A whole connection at level info: connect, disconnect.
    await client.get((await authorizeAtSandbox(client, demo)).href);
    const connected = await demo.auth.loadCredentials('sandbox', 'demo-user');
    await client.home();
    await client.post('/connect/sandbox/disconnect');
    tokens = [connected?.accessToken, connected?.refreshToken].filter((t): t is string => typeof t === 'string');
  });
  afterAll(() => demo.close());

  it('logs a denied consent at info, by error code', () => {
    expect(deniedLog).toEqual([expect.objectContaining({ level: 30, action: 'callback', provider: 'sandbox', code: 'AUTHORIZATION_DENIED', error: 'access_denied' })]);
  });

  it('logs another provider error at warn, by error code', () => {
    expect(failedLog).toEqual([expect.objectContaining({ level: 40, code: 'AUTHORIZATION_DENIED', error: 'temporarily_unavailable' })]);
  });

  it('never logs the provider\'s error_description', () => {
    expect(log.text()).not.toContain('4f1d');
  });

  it('never logs a token or an authorization code', () => {
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(log.text()).not.toContain(token);
    expect(log.text()).not.toMatch(/[?&](code|state)=/);
  });

  it('still shows the denial on the page, without the description', async () => {
    const page = await client.follow(await callbackWithError('access_denied'));
    expect(flashText(page)).toBe('You declined access at Sandbox (access_denied). Nothing was connected.');
    expect(page).not.toContain('4f1d');
  });
});

describe('readable log lines for a terminal', () => {
  const line = JSON.stringify({
    level: 30, time: new Date(2024, 0, 2, 13, 4, 5).getTime(), pid: 1, hostname: 'h', reqId: 'req-1',
    msg: 'consent denied', action: 'callback', provider: 'sandbox', code: 'AUTHORIZATION_DENIED', error: 'access_denied',
  });

  it('formats a pino line as time, level, message and key=value fields', () => {
    expect(formatLogLine(line)).toBe('13:04:05  INFO   consent denied  action=callback provider=sandbox code=AUTHORIZATION_DENIED error=access_denied');
  });

  it('shows a request by method and path with its status and duration', () => {
    const completed = JSON.stringify({ level: 30, time: Date.now(), msg: 'request completed', req: { method: 'GET', url: '/' }, res: { statusCode: 200 }, responseTime: 3.4 });
    expect(formatLogLine(completed)).toMatch(/^\d\d:\d\d:\d\d {2}INFO {3}request completed {2}GET \/ {2}200 {2}3ms$/);
  });

  it('writes one line per JSON line to its output', () => {
    const out: string[] = [];
    readableLogDestination({ write: (text: string) => out.push(text) }).write(`${line}\n`);
    expect(out).toEqual([`${formatLogLine(line)}\n`]);
  });
});
