import { afterAll, describe, expect, it } from '@jest/globals';
import { describeCredentialStore } from '@authmanager/testing/conformance';
import { mkdtemp, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlCredentialStore } from '../src/index.js';

const dir = await mkdtemp(join(tmpdir(), 'authmanager-sqlite-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One migrated store per suite: the suite runs each distinct cleanup once. */
function shared(create: () => SqlCredentialStore, cleanup?: () => Promise<void>): () => Promise<{ store: SqlCredentialStore; cleanup: () => Promise<void> }> {
  let fixture: Promise<{ store: SqlCredentialStore; cleanup: () => Promise<void> }> | undefined;
  return () => (fixture ??= (async () => {
    const store = create();
    await store.migrate();
    return { store, cleanup: async () => { await store.close(); await cleanup?.(); } };
  })());
}

describeCredentialStore('SqlCredentialStore (SQLite in memory, sqlite::memory:)',
  shared(() => new SqlCredentialStore({ database: 'sqlite::memory:' })), { requireLock: true });

describeCredentialStore('SqlCredentialStore (SQLite file, sqlite:<path>, WAL)',
  shared(() => new SqlCredentialStore({ database: `sqlite:${join(dir, 'store.db')}` })), { requireLock: true });

const own = new DatabaseSync(join(dir, 'given.db'));
describeCredentialStore('SqlCredentialStore (a node:sqlite DatabaseSync of yours, prefix "t1_")',
  shared(() => new SqlCredentialStore({ database: { sqlite: own }, tablePrefix: 't1_' }), async () => { own.close(); }), { requireLock: true });

describe('SQLite file', () => {
  it('keeps records across store instances (durable on disk)', async () => {
    const url = `sqlite:${join(dir, 'durable.db')}`;
    const first = new SqlCredentialStore({ database: url });
    await first.migrate();
    await first.set({ kind: 'credentials', provider: 'p', subject: 's' }, 'kept');
    await first.close();
    const second = new SqlCredentialStore({ database: url });
    const read = await second.get({ kind: 'credentials', provider: 'p', subject: 's' });
    await second.close();
    expect(read).toEqual({ value: 'kept', version: 1 });
  });
});
