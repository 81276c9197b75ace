// Issue 11 figures: PostgreSQL-backed sessions and writes vs raw `pg` on the same pool, SQLite-backed
// reads vs a raw node:sqlite prepared SELECT. Real servers (startPostgresServer), interleaved A/B
// rounds, medians of the per-round ratios. Nothing here asserts: the store-sql tests do that.
import { AuthManager, Credentials, jsonCredentialCodec } from '@authmanager/core';
import { sandbox, startPostgresServer } from '@authmanager/testing';
import { createRequire } from 'node:module';

// bench/package.json does not list the SQL store or its drivers: resolve them from the store's package.
const fromStoreSql = createRequire(new URL('../packages/store-sql/package.json', import.meta.url));
const { SqlCredentialStore } = await import(new URL('../packages/store-sql/dist/index.js', import.meta.url).href);
const pg = fromStoreSql('pg');
const { DatabaseSync } = await import('node:sqlite');

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? (QUICK ? 200 : 350));
const ROUNDS = Number(process.env.BENCH_SQL_ROUNDS ?? (QUICK ? 3 : 5));
const SUBJECTS = 256;
const CONCURRENCY = 64;

/** `CONCURRENCY` loops calling `op(i)` for DURATION_MS; returns operations per second. */
async function concurrentThroughput(op) {
  let ops = 0;
  let stop = false;
  const start = performance.now();
  setTimeout(() => { stop = true; }, DURATION_MS);
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, worker) => {
    for (let i = worker; !stop; i += CONCURRENCY) { await op(i % SUBJECTS); ops++; }
  }));
  return (ops * 1000) / (performance.now() - start);
}

/**
 * One loop calling `op(i)` for DURATION_MS. SQLite calls are synchronous inside their promises, so
 * they never yield to timers: the deadline is checked in the loop (concurrency would change nothing).
 */
async function sequentialThroughput(op) {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < DURATION_MS) {
    for (let n = 0; n < 256; n++) await op((ops + n) % SUBJECTS);
    ops += 256;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/**
 * Interleaved rounds of the contenders ({ name: op }; the first is the baseline), the order rotating
 * each round; per contender the median rate and the median/min/max of its per-round ratio to the baseline.
 */
async function rounds(contenders, measure = concurrentThroughput) {
  const names = Object.keys(contenders);
  const rates = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + round) % names.length];
      rates[n].push(await measure(contenders[n]));
    }
  }
  const base = rates[names[0]];
  return Object.fromEntries(names.map((n) => {
    const ratios = rates[n].map((r, i) => r / base[i]);
    return [n, { rate: median(rates[n]), ratio: median(ratios), spread: `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` }];
  }));
}

const providers = [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })];
const subjects = Array.from({ length: SUBJECTS }, (_, i) => `user-${i}`);
const credentialsOf = (subject) => new Credentials({
  accessToken: `at-${subject}-${'x'.repeat(40)}`, refreshToken: `rt-${subject}`,
  expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'],
});
const viaSession = (auth) => (i) => auth.withSession(subjects[i], (s) => s.accessToken('sandbox'));

export async function benchSql(report) {
  console.log('# SQL store (real PostgreSQL via pg, node:sqlite; loopback)');
  const server = await startPostgresServer();
  const pool = new pg.Pool({ connectionString: server.url, max: 10 });
  try {
    const store = new SqlCredentialStore({ database: { postgres: pool }, tablePrefix: 'bench_' });
    await store.migrate();
    const auth = new AuthManager({ providers, store });
    await pool.query('CREATE TABLE raw_records (kind text, provider bytea, subject bytea, value bytea, version bigint, PRIMARY KEY (kind, provider, subject))');
    for (const subject of subjects) {
      const creds = credentialsOf(subject);
      await auth.storeCredentials('sandbox', subject, creds);
      await pool.query('INSERT INTO raw_records VALUES ($1, $2, $3, $4, 1)', ['credentials', Buffer.from('sandbox'), Buffer.from(subject), Buffer.from(jsonCredentialCodec.encode(creds))]);
    }
    const keyArgs = subjects.map((s) => ['credentials', Buffer.from('sandbox'), Buffer.from(s)]);
    // Baselines read the store's own rows (its table, by primary key): what a hand-rolled table
    // lookup would send, once as a plain query and once as a named prepared statement, as the store sends.
    const SELECT = `SELECT value, version FROM ${store.tables.records} WHERE kind = $1 AND provider = $2 AND subject = $3`;
    const rawRead = async (i) => JSON.parse((await pool.query(SELECT, keyArgs[i])).rows[0].value.toString('utf8')).at;
    const preparedRead = async (i) => JSON.parse((await pool.query({ name: 'bench_raw_read', text: SELECT, values: keyArgs[i] })).rows[0].value.toString('utf8')).at;
    const reads = await rounds({ raw: rawRead, ours: viaSession(auth), prepared: preparedRead });
    report('    raw pg SELECT + JSON.parse, 64 concurrent, median', Math.round(reads.raw.rate), 'ops/s', 'baseline: the same pool, a plain pg query by primary key of the store\'s own rows');
    report('(i) PostgreSQL session open + accessToken(), 64 concurrent', Math.round(reads.ours.rate), 'ops/s', `target >= 0.8x; ${reads.ours.ratio.toFixed(3)}x raw pg, spread ${reads.ours.spread} (median of ${ROUNDS} interleaved rounds)`);
    report('    the same raw SELECT as a named prepared statement', Math.round(reads.prepared.rate), 'ops/s', `ours ${(reads.ours.rate / reads.prepared.rate).toFixed(3)}x it (the store prepares its statements; information)`);

    const encoded = subjects.map((s) => Buffer.from(jsonCredentialCodec.encode(credentialsOf(s))));
    const creds = subjects.map(credentialsOf);
    const UPSERT = 'INSERT INTO raw_records VALUES ($1, $2, $3, $4, 1) ON CONFLICT (kind, provider, subject) DO UPDATE SET value = excluded.value, version = raw_records.version + 1 RETURNING version';
    const rawWrite = (i) => pool.query(UPSERT, [...keyArgs[i], encoded[i]]);
    const preparedWrite = (i) => pool.query({ name: 'bench_raw_write', text: UPSERT, values: [...keyArgs[i], encoded[i]] });
    const writes = await rounds({ raw: rawWrite, ours: (i) => auth.storeCredentials('sandbox', subjects[i], creds[i]), prepared: preparedWrite });
    report('    raw pg INSERT … ON CONFLICT, 64 concurrent, median', Math.round(writes.raw.rate), 'ops/s', 'baseline: the same pool, a plain pg query of the same rows');
    report('(j) PostgreSQL storeCredentials(), 64 concurrent', Math.round(writes.ours.rate), 'ops/s', `target >= 0.7x; ${writes.ours.ratio.toFixed(3)}x raw pg, spread ${writes.ours.spread} (median of ${ROUNDS} interleaved rounds)`);
    report('    the same raw upsert as a named prepared statement', Math.round(writes.prepared.rate), 'ops/s', `ours ${(writes.ours.rate / writes.prepared.rate).toFixed(3)}x it (information)`);
    await auth.close();
  } finally {
    await pool.end();
    await server.stop();
  }

  const db = new DatabaseSync(':memory:');
  const sqliteStore = new SqlCredentialStore({ database: { sqlite: db } });
  await sqliteStore.migrate();
  const sqliteAuth = new AuthManager({ providers, store: sqliteStore });
  db.exec('CREATE TABLE raw_records (kind text, provider blob, subject blob, value blob, version integer, PRIMARY KEY (kind, provider, subject))');
  const insert = db.prepare('INSERT INTO raw_records VALUES (?, ?, ?, ?, 1)');
  for (const subject of subjects) {
    const c = credentialsOf(subject);
    await sqliteAuth.storeCredentials('sandbox', subject, c);
    insert.run('credentials', Buffer.from('sandbox'), Buffer.from(subject), Buffer.from(jsonCredentialCodec.encode(c)));
  }
  const select = db.prepare('SELECT value, version FROM raw_records WHERE kind = ? AND provider = ? AND subject = ?');
  const sqliteKeys = subjects.map((s) => ['credentials', Buffer.from('sandbox'), Buffer.from(s)]);
  const rawSqliteRead = async (i) => JSON.parse(Buffer.from(select.get(...sqliteKeys[i]).value).toString('utf8')).at;
  const sqliteReads = await rounds({ raw: rawSqliteRead, ours: viaSession(sqliteAuth) }, sequentialThroughput);
  report('    raw node:sqlite prepared SELECT + JSON.parse, median', Math.round(sqliteReads.raw.rate), 'ops/s');
  report('(k) SQLite session open + accessToken()', Math.round(sqliteReads.ours.rate), 'ops/s', `target >= 0.7x; ${sqliteReads.ours.ratio.toFixed(3)}x raw node:sqlite, spread ${sqliteReads.ours.spread} (median of ${ROUNDS} interleaved rounds)`);
  await sqliteAuth.close();
  db.close();
}
