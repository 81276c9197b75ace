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

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 1000);
const ROUNDS = Number(process.env.BENCH_SQL_ROUNDS ?? 7);
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

/** Interleaved rounds of `a` (ours) and `b` (baseline), alternating which goes first. */
async function abRounds(a, b, measure = concurrentThroughput) {
  const ours = [], theirs = [], ratios = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [x, y] = round % 2 === 0
      ? [await measure(a), await measure(b)]
      : (([q, p]) => [p, q])([await measure(b), await measure(a)]);
    ours.push(x); theirs.push(y); ratios.push(x / y);
  }
  return { ours: median(ours), theirs: median(theirs), ratio: median(ratios) };
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
    const rawRead = async (i) => {
      const { rows } = await pool.query('SELECT value, version FROM raw_records WHERE kind = $1 AND provider = $2 AND subject = $3', keyArgs[i]);
      return JSON.parse(rows[0].value.toString('utf8')).at;
    };
    const reads = await abRounds(viaSession(auth), rawRead);
    report('    raw pg SELECT + JSON.parse, 64 concurrent, median', Math.round(reads.theirs), 'ops/s');
    report('(i) PostgreSQL session open + accessToken(), 64 concurrent', Math.round(reads.ours), 'ops/s', `target >= 0.8x; ${reads.ratio.toFixed(3)}x raw pg (median of ${ROUNDS} interleaved rounds)`);

    const encoded = subjects.map((s) => Buffer.from(jsonCredentialCodec.encode(credentialsOf(s))));
    const creds = subjects.map(credentialsOf);
    const rawWrite = (i) => pool.query(
      'INSERT INTO raw_records VALUES ($1, $2, $3, $4, 1) ON CONFLICT (kind, provider, subject) DO UPDATE SET value = excluded.value, version = raw_records.version + 1 RETURNING version',
      [...keyArgs[i], encoded[i]]);
    const writes = await abRounds((i) => auth.storeCredentials('sandbox', subjects[i], creds[i]), rawWrite);
    report('    raw pg INSERT … ON CONFLICT, 64 concurrent, median', Math.round(writes.theirs), 'ops/s');
    report('(j) PostgreSQL storeCredentials(), 64 concurrent', Math.round(writes.ours), 'ops/s', `target >= 0.7x; ${writes.ratio.toFixed(3)}x raw pg (median of ${ROUNDS} interleaved rounds)`);
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
  const sqliteReads = await abRounds(viaSession(sqliteAuth), rawSqliteRead, sequentialThroughput);
  report('    raw node:sqlite prepared SELECT + JSON.parse, median', Math.round(sqliteReads.theirs), 'ops/s');
  report('(k) SQLite session open + accessToken()', Math.round(sqliteReads.ours), 'ops/s', `target >= 0.7x; ${sqliteReads.ratio.toFixed(3)}x raw node:sqlite (median of ${ROUNDS} interleaved rounds)`);
  await sqliteAuth.close();
  db.close();
}
