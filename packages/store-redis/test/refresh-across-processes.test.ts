import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager } from '@authmanager/core';
import { describeRefreshStorm } from '@authmanager/testing/conformance';
import { followAuthorization, sandbox, startRedisServer, startSandboxProvider, type RedisServerHandle, type SandboxProvider, StormWorkers } from '@authmanager/testing';
import { RedisCredentialStore } from '../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PROCESSES = 4;
const CALLERS = 100;
const worker = new URL('./fixtures/refresh-worker.mjs', import.meta.url);

let redis: RedisServerHandle;
let server: SandboxProvider;
beforeAll(async () => {
  redis = await startRedisServer();
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], refreshTokenRotation: true });
});
afterAll(async () => {
  stormWorkers.killAll();
  await server.close();
  await redis.stop();
});

const stormWorkers = new StormWorkers(worker);
const startWorker = (subject: string) => stormWorkers.start([server.issuer, REDIRECT, redis.url, subject, String(CALLERS)]);

describeRefreshStorm('redis-server', {
  store: () => new RedisCredentialStore({ redis: redis.url }),
  worker,
  backend: () => redis.url,
});

describe('refresh across processes: a dead refresh token', () => {
  it(`an invalid_grant storm, ${PROCESSES} processes × ${CALLERS} callers on a dead refresh token: one token request in the cooldown window`, async () => {
    const store = new RedisCredentialStore({ redis: redis.url });
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store });
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'dead', params: { login_hint: 'dead' } });
    const { credentials } = await auth.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, REDIRECT) });
    await auth.storeCredentials('sandbox', 'dead', credentials.with({ expiresAt: new Date(Date.now() - 1000) }));
    await server.revokeGrantsFor('dead'); // the refresh token is dead at the server

    const workers = await Promise.all(Array.from({ length: PROCESSES }, () => startWorker('dead')));
    server.resetCounts();
    for (const w of workers) w.go();
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
