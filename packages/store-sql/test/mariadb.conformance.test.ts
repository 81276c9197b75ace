import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startMariaDbServer, type MariaDbServerHandle } from '@authmanager/testing';
import { describeCredentialStore } from '@authmanager/testing/conformance';
import { createPool, type Pool, type RowDataPacket } from 'mysql2';
import { SqlCredentialStore } from '../src/index.js';

// A real MariaDB (Debian's mariadb-server): mariadb-install-db into a temporary directory,
// mariadbd on a free loopback port, stopped at the end. MySQL speaks the same dialect.
let server: MariaDbServerHandle;
beforeAll(async () => {
  server = await startMariaDbServer();
}, 60_000);
afterAll(async () => {
  await server.stop();
});

function shared(create: () => SqlCredentialStore, cleanup?: () => Promise<void>): () => Promise<{ store: SqlCredentialStore; cleanup: () => Promise<void> }> {
  let fixture: Promise<{ store: SqlCredentialStore; cleanup: () => Promise<void> }> | undefined;
  return () => (fixture ??= (async () => {
    const store = create();
    await store.migrate();
    return { store, cleanup: async () => { await store.close(); await cleanup?.(); } };
  })());
}

describeCredentialStore('SqlCredentialStore (MariaDB, from a mysql:// URL)',
  shared(() => new SqlCredentialStore({ database: server.url })), { requireLock: true });

let pool: Pool | undefined;
describeCredentialStore('SqlCredentialStore (MariaDB, given a mysql2 pool, mariadb:// prefix "given_")',
  shared(() => {
    pool = createPool({ uri: server.url, connectionLimit: 5 });
    return new SqlCredentialStore({ database: { mysql: pool }, tablePrefix: 'given_' });
  }, async () => { await new Promise<void>((resolve) => { pool?.end(() => resolve()); }); }), { requireLock: true });

describe('MariaDB schema', () => {
  let store: SqlCredentialStore;
  let indexes: string[];
  beforeAll(async () => {
    store = new SqlCredentialStore({ database: server.url.replace(/^mysql:/, 'mariadb:'), tablePrefix: 'schema_' });
    await store.migrate();
    const raw = createPool({ uri: server.url, connectionLimit: 1 }).promise();
    const [rows] = await raw.query<RowDataPacket[]>(
      "SELECT DISTINCT table_name AS t, index_name AS i FROM information_schema.statistics WHERE table_schema = 'authmanager' AND table_name IN ('schema_records', 'schema_locks') ORDER BY t, i");
    indexes = rows.map((r) => `${String(r.t)}.${String(r.i)}`);
    await raw.end();
  });
  afterAll(async () => {
    await store.close();
  });

  it('has the primary keys and the expiry, due and subject indexes as real indexes', () => {
    expect(indexes).toEqual([
      'schema_locks.PRIMARY', 'schema_locks.schema_locks_expires_at',
      'schema_records.PRIMARY', 'schema_records.schema_records_due_at', 'schema_records.schema_records_expires_at', 'schema_records.schema_records_subject',
    ]);
  });

  it('purges expired rows in bounded batches (DELETE … LIMIT)', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => ({ kind: 'pending' as const, provider: '*', subject: `purge-${i}` }));
    for (const key of keys) await store.set(key, 'short', { ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const firstBatch = await store.purgeExpired({ batchSize: 10, maxBatches: 1 });
    const rest = await store.purgeExpired({ batchSize: 10 });
    expect({ firstBatch, rest }).toEqual({ firstBatch: 10, rest: 15 });
  });
});
