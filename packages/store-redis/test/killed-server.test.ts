import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type RecordKey, type StoredRecord } from '@authmanager/core';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCredentialStore } from '../src/index.js';

/** How a store call ended, and how long after the call. */
interface Outcome { readonly code: string; readonly elapsedMs: number }

async function outcomeOf(call: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now();
  const code = await call().then(() => 'fulfilled', (err: unknown) => (AuthManagerError.is(err) ? err.code : String(err)));
  return { code, elapsedMs: performance.now() - started };
}

// A real redis-server with AOF (`appendfsync always`) crashes (SIGKILL) and comes back on the same
// port 3 s later: the store must fail calls during the outage within their deadline, reconnect by
// itself, and find every write Redis acknowledged before the crash.
describe('redis-server killed (SIGKILL) and restarted on the same port with AOF', () => {
  const DEADLINE_MS = 1000;
  const OUTAGE_MS = 3000;
  let server: RedisServerHandle;
  let store: RedisCredentialStore;
  // Waits through up to 50 reconnects per command: only the store's deadline ends its calls early.
  let patient: RedisCredentialStore;
  const key: RecordKey = { kind: 'credentials', provider: 'p', subject: 'crash' };
  const patientKey: RecordKey = { kind: 'credentials', provider: 'p', subject: 'crash-patient' };
  let acknowledged: StoredRecord;
  let during: { store: Outcome; patient: Outcome };
  let portAfterRestart: { before: number; after: number };
  let recoveredWithinMs: number | undefined;
  let afterRestart: { read: StoredRecord | undefined; written: StoredRecord | undefined; readAgain: StoredRecord | undefined };

  beforeAll(async () => {
    server = await startRedisServer({ appendOnly: true });
    const portBefore = server.port;
    store = new RedisCredentialStore({ redis: server.url, commandTimeoutMs: DEADLINE_MS });
    patient = new RedisCredentialStore({ redis: server.url, commandTimeoutMs: DEADLINE_MS, maxRetries: 50 });
    acknowledged = await store.set(key, 'acknowledged');
    await patient.get(patientKey); // connected before the crash

    await server.kill();
    const killedAt = Date.now();
    const [a, b] = await Promise.all([
      outcomeOf(() => store.set(key, 'during-outage')),
      outcomeOf(() => patient.set(patientKey, 'during-outage')),
    ]);
    during = { store: a, patient: b };
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - killedAt)));
    await server.restart();
    portAfterRestart = { before: portBefore, after: server.port };

    // Only the store's own reconnects: no new store, no manual connect.
    const restartedAt = Date.now();
    let read: StoredRecord | undefined;
    for (;;) {
      try {
        read = await store.get(key);
        recoveredWithinMs = Date.now() - restartedAt;
        break;
      } catch (err) {
        if (Date.now() - restartedAt > 10_000) break;
        await sleep(50);
      }
    }
    const written = await store.set(key, 'after-restart').catch(() => undefined);
    afterRestart = { read, written, readAgain: await store.get(key).catch(() => undefined) };
  }, 30_000);
  afterAll(async () => {
    await store.close();
    await patient.close();
    await server.stop();
  });

  it('fails a set during the outage with STORE_UNAVAILABLE within commandTimeoutMs of the call, not at the restart', () => {
    const summary = (o: Outcome): string => `${o.code}${o.elapsedMs <= DEADLINE_MS + 100 ? '' : ` after ${Math.round(o.elapsedMs)} ms`}`;
    expect({ store: summary(during.store), patient: summary(during.patient) })
      .toEqual({ store: 'STORE_UNAVAILABLE', patient: 'STORE_UNAVAILABLE' });
  });

  it('restarts the server on the same port', () => {
    expect(portAfterRestart.after).toBe(portAfterRestart.before);
  });

  it('reconnects by itself once the server is back', () => {
    expect(recoveredWithinMs !== undefined && recoveredWithinMs < 5000).toBe(true);
  });

  it('reads the record Redis acknowledged before the crash (replayed from the AOF), unchanged by the failed set', () => {
    expect(afterRestart.read).toEqual({ value: 'acknowledged', version: acknowledged.version });
  });

  it('takes a new write after the restart, versioned after the acknowledged one', () => {
    expect({ written: afterRestart.written, readAgain: afterRestart.readAgain }).toEqual({
      written: { value: 'after-restart', version: acknowledged.version + 1 },
      readAgain: { value: 'after-restart', version: acknowledged.version + 1 },
    });
  });
});
