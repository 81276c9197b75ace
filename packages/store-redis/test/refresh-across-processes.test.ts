import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { AuthManager, Credentials } from '@authmanager/core';
import { followAuthorization, sandbox, startRedisServer, startSandboxProvider, type RedisServerHandle, type SandboxProvider } from '@authmanager/testing';
import { RedisCredentialStore } from '../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PROCESSES = 4;
const CALLERS = 100;
const worker = new URL('./fixtures/refresh-worker.mjs', import.meta.url);

interface WorkerReport { tokens: string[]; errors: string[]; latenciesMs: number[] }

let redis: RedisServerHandle;
let server: SandboxProvider;
const children: ChildProcessWithoutNullStreams[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], refreshTokenRotation: true });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await server.close();
  await redis.stop();
});

/** Starts a worker and resolves when it has warmed up; `report` resolves with its JSON line. */
function startWorker(subject: string): Promise<{ child: ChildProcessWithoutNullStreams; report: Promise<WorkerReport> }> {
  const child = spawn(process.execPath, [worker.pathname, server.issuer, REDIRECT, redis.url, subject, String(CALLERS)], {
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

describe('refresh across processes', () => {
  it(`${PROCESSES} processes × ${CALLERS} concurrent accessToken() on one expired credential: one refresh, one token`, async () => {
    const store = new RedisCredentialStore({ redis: redis.url });
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

  it(`an invalid_grant storm, ${PROCESSES} processes × ${CALLERS} callers on a dead refresh token: one token request in the cooldown window`, async () => {
    const store = new RedisCredentialStore({ redis: redis.url });
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store });
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'dead', params: { login_hint: 'dead' } });
    const { credentials } = await auth.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, REDIRECT) });
    await auth.storeCredentials('sandbox', 'dead', credentials.with({ expiresAt: new Date(Date.now() - 1000) }));
    await server.revokeGrantsFor('dead'); // the refresh token is dead at the server

    const workers = await Promise.all(Array.from({ length: PROCESSES }, () => startWorker('dead')));
    server.resetCounts();
    for (const w of workers) w.child.stdin.write('go\n');
    const reports = await Promise.all(workers.map((w) => w.report));

    expect(server.requestCount('token:refresh_token')).toBe(1);
    const errors = reports.flatMap((r) => r.errors);
    expect(errors).toHaveLength(PROCESSES * CALLERS);
    expect(errors.every((e) => e.startsWith('REAUTHORIZATION_REQUIRED'))).toBe(true);
    const [connection] = await auth.connections('dead');
    expect(connection).toMatchObject({ status: 'reauthorization_required', lastErrorCode: 'REAUTHORIZATION_REQUIRED' });
    // The stored tokens are as they were: only the status changed.
    expect((await auth.loadCredentials('sandbox', 'dead'))?.refreshToken).toBe(credentials.refreshToken);
    await auth.close();
  }, 60_000);
});
