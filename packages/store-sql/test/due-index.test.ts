// The due index behind auth.refreshDue(): a `due_at` column and index, on SQLite, PostgreSQL and MariaDB.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startMariaDbServer, startPostgresServer, type MariaDbServerHandle, type PostgresServerHandle } from '@authmanager/testing';
import { SqlCredentialStore } from '../src/index.js';

let postgres: PostgresServerHandle;
let mariadb: MariaDbServerHandle;
beforeAll(async () => { [postgres, mariadb] = await Promise.all([startPostgresServer(), startMariaDbServer()]); }, 120_000);
afterAll(async () => { await Promise.all([postgres.stop(), mariadb.stop()]); });

const k = (subject: string) => ({ kind: 'credentials', provider: 'p:x', subject } as const);

describe.each([
  ['SQLite (in memory)', () => 'sqlite::memory:'],
  ['PostgreSQL', () => postgres.url],
  ['MariaDB', () => mariadb.url],
])('SqlCredentialStore due index on %s', (_name, url) => {
  let store: SqlCredentialStore;
  beforeAll(async () => { store = new SqlCredentialStore({ database: url(), tablePrefix: 'due_' }); await store.migrate(); });
  afterAll(async () => { await store.close(); });

  it('lists what is due, earliest first, at most limit; null removes, absent keeps, delete and take remove', async () => {
    await store.set(k('late'), 'v', { dueAtMs: 3000 });
    await store.set(k('early'), 'v', { dueAtMs: 1000 });
    await store.set(k('never'), 'v', { dueAtMs: 9000 });
    await store.set(k('unindexed'), 'v');
    await store.set({ kind: 'pending', provider: '*', subject: 'st' }, 'v', { dueAtMs: 1 });
    expect(await store.listDue(5000, 10)).toEqual([k('early'), k('late')]);
    expect(await store.listDue(5000, 1)).toEqual([k('early')]);
    const { version } = await store.set(k('late'), 'v2', { ifVersion: 1, dueAtMs: null });
    expect(version).toBe(2);
    await store.take(k('early'));
    expect(await store.listDue(5000, 10)).toEqual([]);
    await store.set(k('never'), 'v2');
    expect(await store.listDue(10_000, 10)).toEqual([k('never')]);
    await store.delete(k('never'));
    expect(await store.listDue(10_000, 10)).toEqual([]);
  });

  it('a failed compare-and-set changes nothing in the index', async () => {
    await store.set(k('cas'), 'v', { dueAtMs: 500 });
    await expect(store.set(k('cas'), 'v', { ifVersion: 9, dueAtMs: 99_999 })).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect(await store.listDue(600, 10)).toEqual([k('cas')]);
  });
});
