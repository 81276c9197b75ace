import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { approveDeviceCode, followAuthorization, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { authorizationUrl, run, start, workspace, writeSandboxConfig, type RunResult, type Workspace } from './helpers.js';

const PORT_BASE = 20000 + (process.pid % 20000);

/** `connect sandbox`, completed by following the authorization URL and delivering the callback to the CLI's loopback listener. */
async function connectThroughLoopback(ws: Workspace, redirectUri: string, args: string[] = []): Promise<RunResult> {
  const running = start(ws, ['connect', 'sandbox', ...args]);
  const url = await authorizationUrl(running);
  const callback = await followAuthorization(url, redirectUri);
  const page = await fetch(callback);
  expect(page.status).toBe(200);
  return running.done;
}

describe('connect, then token: the configured sandbox through a TypeScript config file', () => {
  let server: SandboxProvider;
  let ws: Workspace;
  const redirectUri = `http://127.0.0.1:${PORT_BASE}/callback`;
  let connected: RunResult;
  let firstTokens: RunResult[];
  let refreshesAfterFirst: number;
  let later: RunResult;
  let refreshesAfterLater: number;

  beforeAll(async () => {
    server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri], accessTokenTtlSeconds: 2 });
    ws = await workspace();
    await writeSandboxConfig(ws, server.issuer, redirectUri);
    connected = await connectThroughLoopback(ws, redirectUri, ['--json']);
    // Let the 2 s access token expire; the refreshed one lives an hour.
    await new Promise((r) => setTimeout(r, 2500));
    server.setAccessTokenTtlSeconds(3600);
    server.resetCounts();
    // Three processes at once after expiry: one refresh, shared through the store's lock.
    firstTokens = await Promise.all([0, 1, 2].map(() => run(ws, ['token', 'sandbox'])));
    refreshesAfterFirst = server.requestCount('token:refresh_token');
    later = await run(ws, ['token', 'sandbox']);
    refreshesAfterLater = server.requestCount('token:refresh_token');
  });
  afterAll(async () => { await server?.close(); await ws?.cleanup(); });

  it('connect exits 0 and reports the connection as JSON without a token', () => {
    expect(connected.code).toBe(0);
    const result = JSON.parse(connected.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ provider: 'sandbox', subject: 'default', flow: 'authorization_code', refreshToken: true, account: { id: 'sandbox-user' } });
    expect(JSON.stringify(result)).not.toMatch(/accessToken|access_token/);
  });

  it('token after expiry refreshes exactly once across three concurrent processes', () => {
    // A failure's stderr goes into the message: it names the error (a failure seen once in CI had only its exit code).
    expect(firstTokens.map((r) => (r.code === 0 ? 0 : `exit ${r.code}: ${r.stderr}`))).toEqual([0, 0, 0]);
    expect(refreshesAfterFirst).toBe(1);
  });

  it('every process prints the same fresh token, alone on stdout', () => {
    const tokens = firstTokens.map((r) => r.stdout);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toMatch(/^\S+\n$/);
    expect(firstTokens.map((r) => r.stderr)).toEqual(['', '', '']);
  });

  it('the next token call uses the stored token without refreshing', () => {
    expect(later.stdout).toBe(firstTokens[0]!.stdout);
    expect(refreshesAfterLater).toBe(1);
  });

  it('the printed token is accepted by the sandbox API', async () => {
    const res = await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${later.stdout.trim()}` } });
    expect(res.status).toBe(200);
  });

  it('list --json shows the connection and no secret', async () => {
    const listed = await run(ws, ['list', '--json']);
    expect(listed.code).toBe(0);
    const { connections } = JSON.parse(listed.stdout) as { connections: Record<string, unknown>[] };
    expect(connections).toEqual([expect.objectContaining({ provider: 'sandbox', subject: 'default', status: 'active', account: { id: 'sandbox-user', label: 'sandbox-user' } })]);
    expect(listed.stdout).not.toContain(later.stdout.trim());
  });

  it('redirect-url prints the exact redirect URI of the config', async () => {
    const printed = await run(ws, ['redirect-url', 'sandbox']);
    expect(printed).toEqual({ code: 0, stdout: `${redirectUri}\n`, stderr: '' });
  });

  it('refresh prints no token and makes one refresh request', async () => {
    server.resetCounts();
    const refreshed = await run(ws, ['refresh', 'sandbox']);
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toMatch(/^Refreshed sandbox for subject default; the access token expires in (59m|1h 0m)\n$/);
    expect(server.requestCount('token:refresh_token')).toBe(1);
  });
});

describe('failures: one line, what to do, a documented exit code', () => {
  let server: SandboxProvider;
  let ws: Workspace;
  const redirectUri = `http://127.0.0.1:${PORT_BASE + 1}/callback`;
  beforeAll(async () => {
    server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri] });
    ws = await workspace();
    await writeSandboxConfig(ws, server.issuer, redirectUri);
  });
  afterAll(async () => { await server?.close(); await ws?.cleanup(); });

  it('token before connecting: exit 4 and the command to run', async () => {
    const r = await run(ws, ['token', 'sandbox']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .*— run `authmanager connect sandbox`\n$/);
  });

  it('with --json the error is a JSON document on stdout', async () => {
    const r = await run(ws, ['token', 'sandbox', '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: expect.objectContaining({ code: 'CREDENTIALS_NOT_FOUND', exitCode: 4, hint: 'run `authmanager connect sandbox`' }) });
    expect(r.stderr).toBe('');
  });

  it('an unknown provider: exit 3', async () => {
    const r = await run(ws, ['token', 'nope', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error.code).toBe('PROVIDER_NOT_REGISTERED');
  });

  it('an unknown command: exit 2 with a suggestion', async () => {
    const r = await run(ws, ['tokn', 'sandbox']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean token?');
  });

  it('a config file that throws: exit 3, one line naming the file and the error', async () => {
    await writeFile(join(ws.project, 'broken.config.mjs'), "throw new Error('NOTION_CLIENT_ID is required');\n");
    const r = await run(ws, ['--config', 'broken.config.mjs', 'list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: \/\S+\/broken\.config\.mjs failed to load: NOTION_CLIENT_ID is required — fix the error in the config file, or run `authmanager doctor`\n$/);
  });

  it('a --config that does not exist: exit 3', async () => {
    const r = await run(ws, ['--config', 'missing.config.ts', 'list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/missing\.config\.ts does not exist/);
  });

  it('revoke: revokes at the sandbox and deletes the credential', async () => {
    const running = start(ws, ['connect', 'sandbox', '--subject', 'alice']);
    const url = await authorizationUrl(running);
    await fetch(await followAuthorization(url, redirectUri));
    expect((await running.done).code).toBe(0);
    server.resetCounts();
    const r = await run(ws, ['revoke', 'sandbox', '--subject', 'alice', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ provider: 'sandbox', subject: 'alice', existed: true, revoked: true });
    expect(server.requestCount('revocation')).toBe(2);
    expect((await run(ws, ['token', 'sandbox', '--subject', 'alice'])).code).toBe(4);
  });
});

describe('connect --device: the device authorization grant (RFC 8628) against the sandbox', () => {
  let server: SandboxProvider;
  let ws: Workspace;
  let connected: RunResult;
  let prompt: { verificationUri: string; userCode: string; verificationUriComplete?: string };
  let token: RunResult;
  beforeAll(async () => {
    const redirectUri = `http://127.0.0.1:${PORT_BASE + 7}/callback`;
    server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri] });
    ws = await workspace();
    await writeSandboxConfig(ws, server.issuer, redirectUri);
    const running = start(ws, ['connect', 'sandbox', '--device', '--json']);
    const m = await running.stderrMatch(/(\{"verificationUri"[^\n]*\})/);
    prompt = JSON.parse(m[1]!) as typeof prompt;
    await approveDeviceCode(prompt.verificationUriComplete!);
    connected = await running.done;
    token = await run(ws, ['token', 'sandbox']);
  }, 60_000);
  afterAll(async () => { await server?.close(); await ws?.cleanup(); });

  it('prints where to go and the code, on stderr', () => {
    expect(prompt.verificationUri).toBe(`${server.issuer}/device`);
    expect(prompt.userCode.length).toBeGreaterThanOrEqual(4);
  });
  it('exits 0 once approved, reporting the device_code flow without a token', () => {
    expect(connected.code).toBe(0);
    expect(JSON.parse(connected.stdout)).toMatchObject({ provider: 'sandbox', flow: 'device_code' });
    expect(connected.stdout).not.toMatch(/access_token|accessToken/);
  });
  it('stored a credential that token prints and the API accepts', async () => {
    expect(token.code).toBe(0);
    const me = await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
    expect(me.status).toBe(200);
  });
});
