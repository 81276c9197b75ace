import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { AuthManagerError } from '@authmanager/core';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { RedisCredentialStore } from '../src/index.js';

// A server that keeps the connection open but stops answering: `DEBUG SLEEP` blocks the real
// redis-server, the failure a socket error never reports.
let server: RedisServerHandle;
beforeAll(async () => { server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] }); });
afterAll(async () => { await server.stop(); });

describe('a hung Redis server', () => {
  it('fails waiting commands with STORE_UNAVAILABLE after commandTimeoutMs, then recovers', async () => {
    const store = new RedisCredentialStore({ redis: server.url, commandTimeoutMs: 300 });
    const key = { kind: 'credentials', provider: 'p', subject: 'hung' } as const;
    await store.set(key, 'before');
    const admin = new Redis(server.url);
    const sleeping = admin.call('DEBUG', 'SLEEP', '2.5');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const err = await store.get(key).catch((e: unknown) => e);
    const waitedMs = Date.now() - started;
    expect(AuthManagerError.is(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect(waitedMs).toBeLessThan(2_400); // failed before the server woke up
    await sleeping;
    admin.disconnect();
    let value: string | undefined;
    for (let i = 0; i < 50 && value === undefined; i++) {
      value = await store.get(key).then((r) => r?.value, () => undefined);
      if (value === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(value).toBe('before');
    await store.close();
  }, 15_000);
});
