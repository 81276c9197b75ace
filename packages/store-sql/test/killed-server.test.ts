import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type RecordKey } from '@authmanager/core';
import { startPostgresServer, type PostgresServerHandle } from '@authmanager/testing';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqlCredentialStore } from '../src/index.js';

const WRITERS = 16;
const DEADLINE_MS = 1000;
const OUTAGE_MS = 1500;

/** The value attempt `seq` of `writer` writes: its own id and a digest-derived body, so a torn or mixed record shows. */
function valueOf(writer: number, seq: number): string {
  const body = createHash('sha256').update(`${writer}:${seq}`).digest('hex').repeat(32); // 2 KiB
  return `${writer}:${seq}:${body}`;
}

function parse(value: string): { writer: number; seq: number } | undefined {
  const [writer, seq, body] = value.split(':');
  if (writer === undefined || seq === undefined || body === undefined) return undefined;
  return value === valueOf(Number(writer), Number(seq)) ? { writer: Number(writer), seq: Number(seq) } : undefined;
}

// PostgreSQL crashes under load (`pg_ctl stop -m immediate`: no checkpoint, every connection cut)
// and comes back on the same port; the same store instance must see only typed errors, recover by
// itself, and every write it acknowledged must be readable and intact after crash recovery.
describe('PostgreSQL killed (pg_ctl stop -m immediate) under write load, then restarted', () => {
  let server: PostgresServerHandle;
  let store: SqlCredentialStore;
  const keys: RecordKey[] = Array.from({ length: WRITERS }, (_, i) => ({ kind: 'credentials', provider: 'p', subject: `writer-${i}` }));
  /** Per writer: the last acknowledged attempt and its version. */
  const acknowledged: Array<{ seq: number; version: number } | undefined> = [];
  const errors: unknown[] = [];
  let acknowledgedAfterRestart = 0;
  let recoveredWithinMs: number | undefined;
  let afterRestart: Array<{ version: number; value: string } | undefined>;

  beforeAll(async () => {
    server = await startPostgresServer();
    store = new SqlCredentialStore({ database: server.url, commandTimeoutMs: DEADLINE_MS, poolSize: 8 });
    await store.migrate();
    let phase: 'before' | 'outage' | 'after' | 'done' = 'before';
    let restartedAt = 0;
    const load = Promise.all(keys.map(async (key, writer) => {
      for (let seq = 1; phase !== 'done'; seq++) {
        try {
          const { version } = await store.set(key, valueOf(writer, seq));
          acknowledged[writer] = { seq, version };
          if (phase === 'after') {
            acknowledgedAfterRestart++;
            recoveredWithinMs ??= Date.now() - restartedAt;
          }
        } catch (err) {
          errors.push(err);
          await sleep(20);
        }
      }
    }));
    await sleep(500);
    await server.kill();
    phase = 'outage';
    await sleep(OUTAGE_MS);
    await server.restart();
    restartedAt = Date.now();
    phase = 'after';
    const until = Date.now() + 10_000;
    while (acknowledgedAfterRestart < 5 * WRITERS && Date.now() < until) await sleep(50);
    phase = 'done';
    await load;
    afterRestart = await Promise.all(keys.map((key) => store.get(key)));
  }, 60_000);
  afterAll(async () => {
    await store.close();
    await server.stop();
  });

  it('fails calls during the outage only with STORE_UNAVAILABLE', () => {
    const codes = new Set(errors.map((err) => (AuthManagerError.is(err) ? err.code : `untyped: ${String(err)}`)));
    expect({ sawOutage: errors.length > 0, codes: [...codes] }).toEqual({ sawOutage: true, codes: ['STORE_UNAVAILABLE'] });
  });

  it('keeps the driver error as a cause without SQL or parameters', () => {
    const leaked = errors.filter((err) => {
      const text = JSON.stringify(AuthManagerError.is(err) ? { ...err.toJSON(), cause: { ...(err.cause as object) } } : String(err));
      return /INSERT|UPDATE|SELECT|\d+:\d+:[0-9a-f]{64}/.test(text);
    });
    expect(leaked).toEqual([]);
  });

  it('recovers by itself once the server is back (same store, same pool)', () => {
    expect(recoveredWithinMs !== undefined && recoveredWithinMs < 5000).toBe(true);
  });

  it('reads every acknowledged write back after crash recovery: same or later version, intact value', () => {
    const problems = keys.flatMap((_, writer) => {
      const acked = acknowledged[writer];
      const read = afterRestart[writer];
      const parsed = read === undefined ? undefined : parse(read.value);
      if (acked === undefined) return [`writer ${writer}: nothing acknowledged`];
      if (read === undefined || parsed === undefined || parsed.writer !== writer) return [`writer ${writer}: missing or corrupt record`];
      if (read.version < acked.version || parsed.seq < acked.seq) return [`writer ${writer}: acknowledged ${acked.seq}@v${acked.version}, read ${parsed.seq}@v${read.version}`];
      return [];
    });
    expect(problems).toEqual([]);
  });
});
