import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { AuthManager, Credentials } from '@authmanager/core';
import { followAuthorization, sandbox, startPostgresServer, startSandboxProvider, type PostgresServerHandle, type SandboxProvider } from '@authmanager/testing';
import { SqlCredentialStore } from '../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PROCESSES = 4;
const CALLERS = 100;
const worker = new URL('./fixtures/refresh-worker.mjs', import.meta.url);

interface WorkerReport { tokens: string[]; errors: string[]; latenciesMs: number[] }

let postgres: PostgresServerHandle;
let server: SandboxProvider;
const children: ChildProcessWithoutNullStreams[] = [];
beforeAll(async () => {
  postgres = await startPostgresServer();
  const setup = new SqlCredentialStore({ database: postgres.url });
  await setup.migrate();
  await setup.close();
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], refreshTokenRotation: true });
}, 60_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await server.close();
  await postgres.stop();
});

/** Starts a worker and resolves when it has warmed up; `report` resolves with its JSON line. */
function startWorker(subject: string): Promise<{ child: ChildProcessWithoutNullStreams; report: Promise<WorkerReport> }> {
  const child = spawn(process.execPath, [worker.pathname, server.issuer, REDIRECT, postgres.url, subject, String(CALLERS)], {
    env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += String(d); });
  return new Promise((resolveReady, rejectReady) => {
    let resolveReport!: (r: WorkerReport) => void;
    let rejectReport!: (e: Error) => void;
    const report = new Promise<WorkerReport>((res, rej) => { resolveReport = res; rejectReport = rej; });
    lines.on('line', (line) => {
      if (line === 'ready') resolveReady({ child, report });
      else if (line.startsWith('{')) resolveReport(JSON.parse(line) as WorkerReport);
    });
    child.on('exit', (code) => {
      const err = new Error(`worker exited with ${code}: ${stderr.split('\n').filter((l) => !/WARNING|Unsupported runtime/.test(l)).join('\n').slice(0, 2000)}`);
      rejectReady(err);
      rejectReport(err);
    });
  });
}

// Issue 11: the storm of store-redis, with every process on one real PostgreSQL (lease-row lock).
describe('refresh across processes on PostgreSQL', () => {
  it(`${PROCESSES} processes × ${CALLERS} concurrent accessToken() on one expired credential: one refresh, one token`, async () => {
    const store = new SqlCredentialStore({ database: postgres.url });
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store });
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'storm', params: { login_hint: 'storm' } });
    const { credentials } = await auth.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, REDIRECT) });
    // Stored as already expired (the tokens themselves are still good at the server).
    await auth.storeCredentials('sandbox', 'storm', credentials.with({ expiresAt: new Date(Date.now() - 1000) }));

    const workers = await Promise.all(Array.from({ length: PROCESSES }, () => startWorker('storm')));
    server.resetCounts();
    for (const w of workers) w.child.stdin.write('go\n');
    const reports = await Promise.all(workers.map((w) => w.report));

    expect(server.requestCount('token:refresh_token')).toBe(1);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    const tokens = reports.flatMap((r) => r.tokens);
    expect(tokens).toHaveLength(PROCESSES * CALLERS);
    expect(new Set(tokens).size).toBe(1);
    const stored = await auth.loadCredentials('sandbox', 'storm') as Credentials<object>;
    expect(createHash('sha256').update(stored.accessToken).digest('hex')).toBe(tokens[0]);
    expect(stored.accessToken).not.toBe(credentials.accessToken);
    expect(stored.refreshToken).not.toBe(credentials.refreshToken); // rotated, and the new one was kept
    await auth.close();
  }, 60_000);
});
