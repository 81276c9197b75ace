import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { AuthManager, Credentials } from '@authmanager/core';
import { followAuthorization, sandbox, startPostgresServer, startSandboxProvider, type PostgresServerHandle, type SandboxProvider, StormWorkers } from '@authmanager/testing';
import { SqlCredentialStore } from '../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PROCESSES = 4;
const CALLERS = 100;
const worker = new URL('./fixtures/refresh-worker.mjs', import.meta.url);

let postgres: PostgresServerHandle;
let server: SandboxProvider;
beforeAll(async () => {
  postgres = await startPostgresServer();
  const setup = new SqlCredentialStore({ database: postgres.url });
  await setup.migrate();
  await setup.close();
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], refreshTokenRotation: true });
}, 60_000);
afterAll(async () => {
  stormWorkers.killAll();
  await server.close();
  await postgres.stop();
});

const stormWorkers = new StormWorkers(worker);
const startWorker = (subject: string) => stormWorkers.start([server.issuer, REDIRECT, postgres.url, subject, String(CALLERS)]);

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
    for (const w of workers) w.go();
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
