import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPostgresServer, type PostgresServerHandle } from '@authmanager/testing';
import { describeCredentialStore } from '@authmanager/testing/conformance';
import pg from 'pg';
import { SqlCredentialStore } from '../src/index.js';

// A real PostgreSQL (Debian's postgresql): a cluster made with initdb in a temporary directory,
// started with pg_ctl on a free loopback port, stopped at the end.
let server: PostgresServerHandle;
beforeAll(async () => {
  server = await startPostgresServer();
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

describeCredentialStore('SqlCredentialStore (PostgreSQL, from a URL)',
  shared(() => new SqlCredentialStore({ database: server.url })), { requireLock: true });

let pool: pg.Pool | undefined;
describeCredentialStore('SqlCredentialStore (PostgreSQL, given a pg.Pool, prefix "given_")',
  shared(() => {
    pool = new pg.Pool({ connectionString: server.url, max: 5 });
    return new SqlCredentialStore({ database: { postgres: pool }, tablePrefix: 'given_' });
  }, async () => { await pool?.end(); }), { requireLock: true });

describe('PostgreSQL schema', () => {
  let store: SqlCredentialStore;
  let raw: pg.Client;
  let first: readonly string[];
  let second: readonly string[];
  let indexes: string[];
  beforeAll(async () => {
    store = new SqlCredentialStore({ database: server.url, tablePrefix: 'schema_' });
    [first, second] = await Promise.all([store.migrate(), store.migrate()]).then((r) => r.map((x) => x.applied));
    raw = new pg.Client({ connectionString: server.url });
    await raw.connect();
    indexes = (await raw.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename IN ('schema_records', 'schema_locks') ORDER BY indexname")).rows.map((r) => r.indexname);
  });
  afterAll(async () => {
    await raw.end();
    await store.close();
  });

  it('applies the migrations once when two migrate() calls race', () => {
    expect([...first, ...second]).toEqual(['0001_records_and_locks', '0002_due_at']);
  });

  it('has the primary keys and the expiry, due and subject indexes as real indexes', () => {
    expect(indexes).toEqual([
      'schema_locks_expires_at', 'schema_locks_pkey', 'schema_records_due_at', 'schema_records_expires_at', 'schema_records_pkey', 'schema_records_subject',
    ]);
  });

  it('purges expired rows in bounded batches through the expiry index', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => ({ kind: 'pending' as const, provider: '*', subject: `purge-${i}` }));
    for (const key of keys) await store.set(key, 'short', { ttlMs: 1 });
    await store.set({ kind: 'credentials', provider: 'p', subject: 'permanent' }, 'kept');
    await new Promise((r) => setTimeout(r, 20));
    const firstBatch = await store.purgeExpired({ batchSize: 10, maxBatches: 1 });
    const rest = await store.purgeExpired({ batchSize: 10 });
    const left = await raw.query('SELECT count(*)::int AS n FROM schema_records');
    expect({ firstBatch, rest, left: left.rows[0].n }).toEqual({ firstBatch: 10, rest: 15, left: 1 });
  });

  it('fails with STORE_UNAVAILABLE naming migrate() when the tables do not exist', async () => {
    const unmigrated = new SqlCredentialStore({ database: server.url, tablePrefix: 'never_migrated_' });
    const err = await unmigrated.get({ kind: 'credentials', provider: 'p', subject: 's' }).catch((e: unknown) => e);
    await unmigrated.close();
    expect({ code: (err as { code?: string }).code, message: (err as Error).message })
      .toEqual({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('run store.migrate()') });
  });
});

describe('PostgreSQL prepared statements', () => {
  const key = { kind: 'credentials', provider: 'p', subject: 'prepared' } as const;
  /** The store's statements prepared on the pool's one connection, after a write and two reads. */
  async function preparedAfterUse(preparedStatements: boolean | undefined): Promise<string[]> {
    const single = new pg.Pool({ connectionString: server.url, max: 1 });
    const store = new SqlCredentialStore({ database: { postgres: single }, tablePrefix: 'prep_', ...(preparedStatements === undefined ? {} : { preparedStatements }) });
    try {
      await store.migrate();
      await store.set(key, 'v1');
      await store.get(key);
      expect(await store.get(key)).toEqual({ value: 'v1', version: 1 });
      return (await single.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'authmanager_%' ORDER BY name")).rows.map((r) => r.name);
    } finally {
      await store.delete(key).catch(() => undefined);
      await store.close();
      await single.end();
    }
  }

  it('prepares the read and the write once per connection by default', async () => {
    const names = await preparedAfterUse(undefined);
    expect(names).toHaveLength(2); // the get and the unconditional set, each prepared once
    expect(names.every((n) => /^authmanager_[0-9a-f]{24}$/.test(n))).toBe(true);
  });

  it('prepares nothing with preparedStatements: false (for poolers that cannot keep them)', async () => {
    expect(await preparedAfterUse(false)).toEqual([]);
  });
});
