import {
  AuthManagerError, ErrorCode, retryLock,
  type CredentialStore, type DeleteOptions, type ListFilter, type LockOptions, type RecordKey, type SetOptions,
  type StoredRecord, type StoreLock,
} from '@authmanager/core';
import {
  Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql,
  type CompiledQuery, type Dialect, type ExpressionBuilder, type PostgresPool, type QueryResult, type Expression, type SqlBool, type Transaction,
} from 'kysely';
import type { MigrationResult } from 'kysely/migration';
import type { Pool as MysqlPool } from 'mysql2';
import type { DatabaseSync } from 'node:sqlite';
import type { Pool as PgPool } from 'pg';
import { randomBytes } from 'node:crypto';
import { NodeSqliteDatabase } from './NodeSqliteDatabase.js';
import { PreparedQuery } from './PreparedQuery.js';
import {
  MAX_PROVIDER_BYTES, MAX_SUBJECT_BYTES, nowMsExpression, storeMigrator, tableNames,
  type SqlDialectName, type SqlTableNames,
} from './sqlSchema.js';

/**
 * Where {@link SqlCredentialStore} keeps its tables.
 *
 * - a URL, for which the store opens, owns and on {@link SqlCredentialStore.close} closes its own
 *   pool: `postgres://…` or `postgresql://…` (through `pg`), `mysql://…` or `mariadb://…` (through
 *   `mysql2`), `sqlite:<file path>` or `sqlite::memory:` (through Node's `node:sqlite`, Node ≥ 22.13);
 * - or a pool or database of yours, which stays yours (the store never closes it):
 *   `{ postgres: new pg.Pool(…) }`, `{ mysql: mysql2.createPool(…) }` (the callback pool, not
 *   `mysql2/promise`), `{ sqlite: new DatabaseSync(…) }`.
 */
export type SqlDatabase =
  | string
  | { readonly postgres: PgPool }
  | { readonly mysql: MysqlPool }
  | { readonly sqlite: DatabaseSync };

/** Options for {@link SqlCredentialStore}. */
export interface SqlCredentialStoreOptions {
  /** The database: a URL or your own pool, see {@link SqlDatabase}. */
  readonly database: SqlDatabase;
  /**
   * Prepended to the store's table and index names (`<prefix>records`, `<prefix>locks`,
   * `<prefix>migrations`, `<prefix>migrations_lock`). Letters, digits and `_`, at most 40.
   * @default 'authmanager_'
   */
  readonly tablePrefix?: string;
  /**
   * Deadline of every store call, in milliseconds from the call: a call (one statement or one
   * transaction; a `list` page; one `lock` attempt) with no answer by then fails with
   * `STORE_UNAVAILABLE`, whatever holds it up (the database down, hung, or every pooled connection
   * busy). A write that failed this way may still commit later; it commits whole or not at all.
   * `0` turns it off (then only the driver's own timeouts apply).
   * @default 5000
   */
  readonly commandTimeoutMs?: number;
  /** Pools the store opens itself (URL): most connections. @default 10 */
  readonly poolSize?: number;
  /**
   * First pause between two attempts to take a held lock, in milliseconds; pauses double (with
   * jitter) up to `max(200, lockRetryDelayMs)`.
   * @default 25
   */
  readonly lockRetryDelayMs?: number;
  /**
   * Every this many milliseconds the store runs {@link SqlCredentialStore.purgeExpired} (at most 10
   * batches) in the background (an unref'd timer; failures are ignored and retried next time). `0`
   * turns it off: then call `purgeExpired()` yourself. Expired records are never returned either way.
   * @default 60000
   */
  readonly purgeIntervalMs?: number;
  /**
   * PostgreSQL: run the store's reads and writes as named prepared statements (parsed and planned
   * once per connection instead of on every call;
   * https://node-postgres.com/features/queries#prepared-statements). Turn it off behind a
   * connection pooler that cannot keep prepared statements (PgBouncer before 1.21, or in
   * transaction mode without `max_prepared_statements`). Other dialects ignore it.
   * @default true
   */
  readonly preparedStatements?: boolean;
}

/** Options for {@link SqlCredentialStore.purgeExpired}. */
export interface PurgeOptions {
  /** Rows deleted per statement (each batch is its own short statement). @default 500 */
  readonly batchSize?: number;
  /** Stop after this many batches per table, even if more rows have expired. @default Infinity */
  readonly maxBatches?: number;
}

/** What a store call was doing, for error messages. */
type Operation = 'get' | 'set' | 'delete' | 'take' | 'list' | 'lock' | 'lock release' | 'lock renew' | 'migrate' | 'purge';

/** `SetOptions.ifVersion`, by what it asks for. */
type WriteMode = 'any' | 'absent' | 'version';
/** What a write does to the due index: keep the stored due time, or set it (`null`: not indexed). */
type DueWrite = { readonly keep: true } | { readonly keep: false; readonly atMs: number | null };

/** Rows as the drivers hand them back: `pg` returns BIGINT as a string, blobs as `Buffer`/`Uint8Array`. */
interface RecordRow { readonly value: Uint8Array; readonly version: number | string | bigint }
interface KeyRow { readonly provider: Uint8Array; readonly subject: Uint8Array }

/** A key as stored: kind as text, provider and subject as their UTF-8 bytes. */
interface StoredKey { readonly kind: string; readonly provider: Buffer; readonly subject: Buffer }

// Kysely's table types are fixed at compile time; the store's table names come from `tablePrefix`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Trx = Transaction<any>;

const LIST_PAGE_SIZE = 500;
/** MySQL/MariaDB errors after which a write transaction is simply tried again. */
const MYSQL_RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_DUP_ENTRY']);
const MYSQL_ATTEMPTS = 5;

/**
 * A {@link CredentialStore} on PostgreSQL, MySQL/MariaDB or SQLite, in one implementation on
 * [Kysely](https://kysely.dev) and its dialects. Use it to keep credentials in the database you
 * already run and back up; on a shared database it implements the refresh `lock`.
 *
 * **Schema**: run {@link SqlCredentialStore.migrate} once (at deploy, or at start: it is
 * idempotent and safe to run from several processes at once). Tables (`<prefix>` defaults to
 * `authmanager_`): `<prefix>records` (`kind`, `provider`, `subject` as the primary key; `value`;
 * `version`; `expires_at` in ms since the epoch or NULL; `updated_at`) and `<prefix>locks`
 * (the lease rows). Provider and subject are stored as their UTF-8 bytes (`bytea`/`varbinary`/`blob`)
 * so that any subject (NUL, trailing spaces, case, accents) is its own key under every collation;
 * values are stored as bytes too (PostgreSQL text cannot hold NUL). docs/storage.md has the DDL.
 *
 * **Guarantees**: every write is one transaction (on PostgreSQL and SQLite one statement:
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING`, and `UPDATE … WHERE version = $expected RETURNING`
 * for compare-and-set; on MySQL/MariaDB, which lack `UPDATE … RETURNING`, a READ COMMITTED
 * transaction around `SELECT … FOR UPDATE`), so a stale writer gets `STORE_CONFLICT`, never a silent
 * overwrite, and a record and its version change together or not at all. `take` is
 * `DELETE … RETURNING` (MySQL: `SELECT … FOR UPDATE` + `DELETE`): of concurrent takes one gets the
 * record. Expiry (`ttlMs`) is checked on every read against the database's clock, and expired rows
 * are deleted in bounded batches ({@link SqlCredentialStore.purgeExpired}).
 *
 * **Lock**: a lease row per key with a random owner token and an expiry, taken by an insert (or a
 * take-over of an expired row), released and renewed only by its token. Not PostgreSQL advisory
 * locks: those belong to a session, so they would pin a pooled connection for the whole refresh,
 * and they have no expiry, which `LockOptions.ttlMs` needs (a hung owner must not block forever).
 *
 * **Failures**: anything the database or network fails with becomes `STORE_UNAVAILABLE` whose
 * `cause` is a copy of the driver's error with name, message and its error codes only (drivers
 * attach the SQL and its parameters, which hold record values). Calls fail at the latest
 * `commandTimeoutMs` after they were made. Pools reconnect by themselves when the database is
 * back (a restart or a failover to the same address).
 *
 * @example
 * ```ts
 * import { SqlCredentialStore } from '@authmanager/store-sql';
 *
 * const store = new SqlCredentialStore({ database: 'postgres://app@db.internal/app' });
 * await store.migrate();
 * const key = { kind: 'credentials', provider: 'notion', subject: 'user-42' } as const;
 * const { version } = await store.set(key, '{"access_token":"…"}', { ifVersion: null });
 * await store.set(key, '{"access_token":"…2"}', { ifVersion: version });
 * await store.close();
 * ```
 */
export class SqlCredentialStore implements CredentialStore {
  /** Which database family this store speaks to. */
  readonly dialect: SqlDialectName;
  /** The store's table names. */
  readonly tables: SqlTableNames;
  readonly #db: Db;
  readonly #owned: boolean;
  readonly #now: ReturnType<typeof nowMsExpression>;
  readonly #commandTimeoutMs: number;
  readonly #lockRetryDelayMs: number;
  readonly #preparedStatements: boolean;
  readonly #purgeTimer: NodeJS.Timeout | undefined;
  readonly #queries = new Map<string, PreparedQuery<unknown>>();
  /** The driver handles behind Kysely, once it has opened them (see {@link DriverHandles}). */
  readonly #drivers: DriverHandles = {};
  #purging = false;
  #closed = false;

  /**
   * @param options - the database and table prefix, see {@link SqlCredentialStoreOptions}
   * @throws AuthManagerError `CONFIGURATION` when the URL's scheme is not one of the above
   * @throws RangeError when `tablePrefix`, `commandTimeoutMs`, `poolSize` or `purgeIntervalMs` is out of range
   */
  constructor(options: SqlCredentialStoreOptions) {
    this.tables = tableNames(options.tablePrefix ?? 'authmanager_');
    const commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs < 0) {
      throw new RangeError('commandTimeoutMs must be a non-negative number of milliseconds');
    }
    this.#commandTimeoutMs = Math.ceil(commandTimeoutMs);
    this.#lockRetryDelayMs = Math.max(1, options.lockRetryDelayMs ?? 25);
    this.#preparedStatements = options.preparedStatements ?? true;
    const poolSize = options.poolSize ?? 10;
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new RangeError('poolSize must be a positive integer');
    const { dialect, kyselyDialect, owned } = openDatabase(options.database, poolSize, this.#commandTimeoutMs, this.#drivers);
    this.dialect = dialect;
    this.#owned = owned;
    this.#db = new Kysely({ dialect: kyselyDialect });
    this.#now = nowMsExpression(dialect);
    const purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
    if (!Number.isFinite(purgeIntervalMs) || purgeIntervalMs < 0) {
      throw new RangeError('purgeIntervalMs must be a non-negative number of milliseconds');
    }
    if (purgeIntervalMs > 0) {
      this.#purgeTimer = setInterval(() => { void this.#backgroundPurge(); }, purgeIntervalMs);
      this.#purgeTimer.unref();
    }
  }

  /**
   * Create or upgrade the store's tables: applies the migrations not yet applied, in order, under
   * Kysely's migration lock (so concurrent calls from several processes apply each once).
   * Idempotent.
   * @returns the names of the migrations this call applied (empty when the schema was current)
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails or a migration fails (with the cause)
   */
  async migrate(): Promise<{ readonly applied: readonly string[] }> {
    const migrator = storeMigrator(this.#db, this.dialect, this.tables);
    // No deadline: a migration may legitimately take long on a big table.
    let result;
    try {
      result = await migrator.migrateToLatest();
    } catch (err) {
      throw unavailable('migrate', undefined, err);
    }
    if (result.error !== undefined) throw unavailable('migrate', undefined, result.error);
    return { applied: (result.results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r: MigrationResult) => r.migrationName) };
  }

  /**
   * The record, or `undefined` when absent or expired (checked against the database's clock).
   * One primary-key `SELECT`.
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails, cannot be reached or has
   *   not answered within `commandTimeoutMs`
   */
  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    const k = storedKey(key);
    const query = this.#prepared('get', 3, ([kind, provider, subject]) => this.#db.selectFrom(this.tables.records)
      .select(['value', 'version'])
      .where((eb) => this.#isKey(eb, { kind, provider, subject }))
      .where((eb) => this.#isLive(eb)));
    const values = [k.kind, k.provider, k.subject];
    // The read every session makes: straight to the driver once Kysely has opened it (Kysely's
    // execution path cost more CPU than the point lookup itself on a busy process; the SQL is
    // Kysely's, compiled once). SQLite is synchronous: no deadline timer can interrupt it anyway.
    const sqlite = this.#drivers.sqlite;
    if (sqlite !== undefined) {
      let row: RecordRow | undefined;
      try {
        row = sqlite.getRow(query.sql, query.parameters(values)) as RecordRow | undefined;
      } catch (err) {
        throw unavailable('get', key, err);
      }
      return row === undefined ? undefined : toRecord(row);
    }
    const pool = this.#drivers.pg;
    const { rows } = await this.#call('get', key, () => (pool !== undefined
      ? pool.query(this.#pgQuery(query, values)) as Promise<QueryResult<RecordRow>>
      : query.run(this.#db, values) as Promise<QueryResult<RecordRow>>));
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /**
   * Write `value` with the next version, in one transaction.
   * @param options - `ifVersion`: `undefined` writes unconditionally, `null` only creates (an
   *   expired record counts as absent), a number compares-and-sets; `ttlMs`: expiry in milliseconds
   *   from now on the database's clock (rounded up; a write without it makes the record permanent)
   * @returns the written record with its new version (1 for a new or expired record)
   * @throws AuthManagerError `STORE_CONFLICT` when `ifVersion` does not match (nothing is written)
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails or cannot be reached
   * @throws RangeError when `ttlMs` is not finite, a string is not well-formed UTF-16, or provider
   *   or subject is longer than 255 / 1024 UTF-8 bytes
   */
  async set(key: RecordKey, value: string, options: SetOptions = {}): Promise<StoredRecord> {
    const { ifVersion, ttlMs, dueAtMs } = options;
    if (ttlMs !== undefined && !Number.isFinite(ttlMs)) throw new RangeError('ttlMs must be a finite number of milliseconds');
    // A number indexes the record as due then, null removes it from the due index, absent keeps it.
    const due: DueWrite = dueAtMs === undefined || key.kind !== 'credentials' ? { keep: true } : { keep: false, atMs: dueAtMs === null ? null : Math.round(dueAtMs) };
    const k = storedKey(key);
    const bytes = utf8('value', value);
    const mode: WriteMode = ifVersion === undefined ? 'any' : ifVersion === null ? 'absent' : 'version';
    const roundedTtlMs = ttlMs === undefined ? undefined : Math.max(0, Math.ceil(ttlMs));
    const version = await this.#call('set', key, () => (this.dialect === 'mysql'
      ? this.#setInTransaction(k, bytes, mode, ifVersion ?? null,
        roundedTtlMs === undefined ? null : sql<number>`${this.#now} + ${roundedTtlMs}`, due)
      : this.#setInOneStatement(k, bytes, mode, ifVersion ?? null, roundedTtlMs, due)));
    if (version === undefined) throw conflict(key, ifVersion ?? null);
    return { value, version };
  }

  /**
   * Delete a live record (`DELETE … WHERE <key> [AND version = $expected]`).
   * @returns whether a live record existed
   * @throws AuthManagerError `STORE_CONFLICT` when `options.ifVersion` is given and does not match
   *   the stored version (or the record is absent)
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails or cannot be reached
   */
  async delete(key: RecordKey, options: DeleteOptions = {}): Promise<boolean> {
    const k = storedKey(key);
    const { ifVersion } = options;
    const query = this.#prepared(ifVersion === undefined ? 'delete' : 'delete if version', 4, ([kind, provider, subject, version]) => {
      const base = this.#db.deleteFrom(this.tables.records)
        .where((eb) => this.#isKey(eb, { kind, provider, subject })).where((eb) => this.#isLive(eb));
      return ifVersion === undefined ? base : base.where('version', '=', version);
    });
    const result = await this.#call('delete', key, () => query.run(this.#db, [k.kind, k.provider, k.subject, ifVersion]));
    const deleted = Number(result.numAffectedRows ?? 0) > 0;
    if (ifVersion !== undefined && !deleted) throw conflict(key, ifVersion);
    return deleted;
  }

  /**
   * Read and delete a live record atomically: of concurrent takes of one key exactly one gets it.
   * PostgreSQL and SQLite: `DELETE … RETURNING`; MySQL/MariaDB: `SELECT … FOR UPDATE` and `DELETE`
   * in one transaction.
   * @returns the record, or `undefined` when absent or expired
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails or cannot be reached (the
   *   record may then be gone: a take is not retried)
   */
  async take(key: RecordKey): Promise<StoredRecord | undefined> {
    const k = storedKey(key);
    const row = await this.#call('take', key, async (): Promise<RecordRow | undefined> => {
      if (this.dialect !== 'mysql') {
        const query = this.#prepared('take', 3, ([kind, provider, subject]) => this.#db.deleteFrom(this.tables.records)
          .where((eb) => this.#isKey(eb, { kind, provider, subject })).where((eb) => this.#isLive(eb))
          .returning(['value', 'version']));
        const { rows } = await query.run(this.#db, [k.kind, k.provider, k.subject]) as QueryResult<RecordRow>;
        return rows[0];
      }
      return await this.#mysqlTransaction(async (trx) => {
        const found = await trx.selectFrom(this.tables.records).select(['value', 'version'])
          .where((eb) => this.#isKey(eb, k)).where((eb) => this.#isLive(eb))
          .forUpdate().executeTakeFirst() as RecordRow | undefined;
        if (found !== undefined) await trx.deleteFrom(this.tables.records).where((eb) => this.#isKey(eb, k)).execute();
        return found;
      });
    });
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * Keys of live records of `filter.kind`, optionally of one provider and/or subject, in
   * (provider, subject) byte order, each once. Pages of 500 by keyset (`(provider, subject) > last`
   * on the primary key, or on the `(kind, subject)` index), so memory stays bounded and each page is
   * one short query with its own deadline. A record written or deleted during the walk may or may
   * not be listed.
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails or a page times out
   */
  /**
   * Credential records written with `dueAtMs` at or before `beforeMs`, earliest first, at most
   * `limit` (`CredentialStore.listDue`): a range scan of the `due_at` index.
   * @param beforeMs - epoch milliseconds
   * @throws AuthManagerError `STORE_UNAVAILABLE`
   */
  async listDue(beforeMs: number, limit: number): Promise<RecordKey[]> {
    const rows = await this.#call('list', undefined, () => this.#db.selectFrom(this.tables.records).select(['provider', 'subject'])
      .where('kind', '=', 'credentials').where('due_at', '<=', Math.floor(beforeMs)).where((eb) => this.#isLive(eb))
      .orderBy('due_at').limit(Math.max(0, Math.floor(limit))).execute() as Promise<KeyRow[]>);
    return rows.map((row) => ({ kind: 'credentials', provider: fromUtf8(row.provider), subject: fromUtf8(row.subject) }));
  }

  async *list(filter: ListFilter): AsyncIterable<RecordKey> {
    const { kind, provider, subject } = filter;
    const providerBytes = provider === undefined ? undefined : utf8('provider', provider);
    const subjectBytes = subject === undefined ? undefined : utf8('subject', subject);
    let after: KeyRow | undefined;
    for (;;) {
      const last = after;
      const rows = await this.#call('list', undefined, () => {
        let query = this.#db.selectFrom(this.tables.records).select(['provider', 'subject'])
          .where('kind', '=', kind).where((eb) => this.#isLive(eb));
        if (providerBytes !== undefined) query = query.where('provider', '=', providerBytes);
        if (subjectBytes !== undefined) query = query.where('subject', '=', subjectBytes);
        if (last !== undefined) {
          query = query.where((eb) => eb(eb.refTuple('provider', 'subject'), '>', eb.tuple(last.provider, last.subject)));
        }
        return query.orderBy('provider').orderBy('subject').limit(LIST_PAGE_SIZE).execute() as Promise<KeyRow[]>;
      });
      for (const row of rows) yield { kind, provider: fromUtf8(row.provider), subject: fromUtf8(row.subject) };
      if (rows.length < LIST_PAGE_SIZE) return;
      after = rows[rows.length - 1];
    }
  }

  /**
   * Take the cross-process lock of `key`: a lease row with a random owner token and an expiry of
   * `ttlMs` from now (database clock). An attempt inserts the row, or takes over a row whose lease
   * expired, in one statement (MySQL: one transaction); it is retried with a doubling, jittered
   * pause (from `lockRetryDelayMs`) until `waitMs` has passed. `release()` deletes the row only
   * while this token owns it; `renew()` moves its expiry to `ttlMs` from now only while this token
   * owns it and it has not expired. Each attempt, `release()` and `renew()` has the
   * `commandTimeoutMs` deadline, so `lock` ends within `waitMs + commandTimeoutMs`.
   * @param options - `ttlMs`: lease in milliseconds (> 0, rounded up); `waitMs`: how long to keep
   *   trying in milliseconds (0 = one attempt)
   * @returns the held lock, with `renew` (always present here)
   * @throws AuthManagerError `LOCK_TIMEOUT` when another owner still holds it after `waitMs`
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails, cannot be reached or has
   *   not answered within `commandTimeoutMs` (also from `release()` and `renew()`)
   * @throws RangeError when `ttlMs` is not a positive finite number or `waitMs` is negative or not finite
   */
  async lock(key: RecordKey, options: LockOptions): Promise<Required<StoreLock>> {
    const k = storedKey(key);
    const token = randomBytes(16).toString('base64url');
    const leaseMs = Math.ceil(options.ttlMs);
    await retryLock(key, options, this.#lockRetryDelayMs, () => this.#call('lock', key, () => this.#tryLock(k, token, leaseMs)));
    return {
      token,
      release: async () => {
        await this.#call('lock release', key, () => this.#db.deleteFrom(this.tables.locks)
          .where((eb) => this.#isKey(eb, k)).where('owner', '=', token).execute());
      },
      renew: async () => {
        const result = await this.#call('lock renew', key, () => this.#db.updateTable(this.tables.locks)
          .set({ expires_at: sql`${this.#now} + ${leaseMs}` })
          .where((eb) => this.#isKey(eb, k)).where('owner', '=', token).where('expires_at', '>', this.#now)
          .executeTakeFirst());
        return Number(result.numUpdatedRows) > 0;
      },
    };
  }

  /**
   * Delete expired records and expired lock leases, in batches of `batchSize` rows (each batch one
   * short statement on the `expires_at` index), until a batch comes back short or `maxBatches`
   * batches ran per table. Runs by itself every `purgeIntervalMs`; call it from a job of yours
   * with `purgeIntervalMs: 0`.
   * @param options - see {@link PurgeOptions}
   * @returns how many rows were deleted
   * @throws AuthManagerError `STORE_UNAVAILABLE` when the database fails (rows deleted by earlier batches stay deleted)
   */
  async purgeExpired(options: PurgeOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 500;
    const maxBatches = options.maxBatches ?? Infinity;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
    let deleted = 0;
    for (const table of [this.tables.records, this.tables.locks]) {
      for (let batch = 0; batch < maxBatches; batch++) {
        const result = await this.#call('purge', undefined, () => {
          if (this.dialect === 'mysql') {
            return this.#db.deleteFrom(table).where('expires_at', '<=', this.#now).limit(batchSize).executeTakeFirst();
          }
          // PostgreSQL has no DELETE … LIMIT (SQLite only as a compile option): delete by key from a limited select.
          return this.#db.deleteFrom(table)
            .where((eb) => eb(eb.refTuple('kind', 'provider', 'subject'), 'in',
              eb.selectFrom(table).select(['kind', 'provider', 'subject']).where('expires_at', '<=', this.#now).limit(batchSize)))
            .executeTakeFirst();
        });
        const count = Number(result.numDeletedRows);
        deleted += count;
        if (count < batchSize) break;
      }
    }
    return deleted;
  }

  /**
   * Stop the background purge and, if the store opened the pool or database itself (a URL), close
   * it; a pool or database you passed in stays open. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#purgeTimer !== undefined) clearInterval(this.#purgeTimer);
    if (this.#owned) await this.#db.destroy();
  }

  async #backgroundPurge(): Promise<void> {
    if (this.#purging || this.#closed) return;
    this.#purging = true;
    try {
      await this.purgeExpired({ maxBatches: 10 });
    } catch {
      // The next interval tries again; reads never return expired rows meanwhile.
    } finally {
      this.#purging = false;
    }
  }

  /** PostgreSQL and SQLite: the whole write as one statement, returning the new version (or nothing on a conflict). */
  async #setInOneStatement(k: StoredKey, value: Buffer, mode: WriteMode, ifVersion: number | null,
    ttlMs: number | undefined, due: DueWrite): Promise<number | undefined> {
    const t = this.tables.records;
    const now = this.#now;
    const query = this.#prepared(`set ${mode}${ttlMs === undefined ? '' : ' ttl'}${due.keep ? '' : ' due'}`, 7, ([kind, provider, subject, v, expected, ttl, dueAt]) => {
      const expiresAt = ttlMs === undefined ? sql<number | null>`${ttl}` : sql<number>`${now} + ${ttl}`;
      const dueColumn = due.keep ? {} : { due_at: sql<number | null>`${dueAt}` };
      if (mode === 'version') {
        return this.#db.updateTable(t)
          .set({ value: v, version: sql`version + 1`, expires_at: expiresAt, updated_at: now, ...dueColumn })
          .where((eb) => this.#isKey(eb, { kind, provider, subject })).where('version', '=', expected).where((eb) => this.#isLive(eb))
          .returning('version');
      }
      return this.#db.insertInto(t)
        .values({ kind, provider, subject, value: v, version: 1, expires_at: expiresAt, updated_at: now, ...dueColumn })
        .onConflict((oc) => {
          const target = oc.columns(['kind', 'provider', 'subject']);
          const excluded = {
            value: sql`excluded.value`, expires_at: sql`excluded.expires_at`, updated_at: sql`excluded.updated_at`,
            ...(due.keep ? {} : { due_at: sql`excluded.due_at` }),
          };
          if (mode === 'absent') {
            // Only an expired record may be replaced; it starts over at version 1.
            return target.doUpdateSet({ ...excluded, version: 1 }).where(sql.ref(`${t}.expires_at`), '<=', now);
          }
          // An expired record is gone as far as readers know: its successor starts at 1 again.
          return target.doUpdateSet({
            ...excluded,
            version: sql`CASE WHEN ${sql.ref(`${t}.expires_at`)} <= ${now} THEN 1 ELSE ${sql.ref(`${t}.version`)} + 1 END`,
          });
        })
        .returning('version');
    });
    const values = [k.kind, k.provider, k.subject, value, ifVersion, ttlMs ?? null, due.keep ? null : due.atMs];
    // Like `get`: the compiled statement straight to the driver (Kysely's execution path was the
    // largest cost of a write after the round trip itself).
    const sqlite = this.#drivers.sqlite;
    const pool = this.#drivers.pg;
    const { rows } = (sqlite !== undefined
      ? { rows: sqlite.prepare(query.sql).all(query.parameters(values)) }
      : pool !== undefined ? await pool.query(this.#pgQuery(query, values)) : await query.run(this.#db, values)) as QueryResult<{ version: number | string }>;
    return rows[0] === undefined ? undefined : Number(rows[0].version);
  }

  /** MySQL/MariaDB (no `UPDATE … RETURNING`): read the row `FOR UPDATE`, decide, write, in one transaction. */
  async #setInTransaction(k: StoredKey, value: Buffer, mode: WriteMode, ifVersion: number | null,
    expiresAt: Expression<number> | null, due: DueWrite): Promise<number | undefined> {
    const dueColumn = due.keep ? {} : { due_at: due.atMs };
    const t = this.tables.records;
    return this.#mysqlTransaction(async (trx) => {
      const row = await trx.selectFrom(t)
        .select(['version', sql<number>`${sql.ref('expires_at')} IS NOT NULL AND ${sql.ref('expires_at')} <= ${this.#now}`.as('expired')])
        .where((eb) => this.#isKey(eb, k))
        .forUpdate()
        .executeTakeFirst() as { version: number | string; expired: number | string } | undefined;
      const current = row !== undefined && Number(row.expired) === 0 ? Number(row.version) : undefined;
      if (mode === 'absent' && current !== undefined) return undefined;
      if (mode === 'version' && current !== ifVersion) return undefined;
      const version = (current ?? 0) + 1;
      if (row === undefined) {
        // A concurrent creator may insert first: ER_DUP_ENTRY, and the transaction is tried again.
        await trx.insertInto(t).values({ ...k, value, version, expires_at: expiresAt, updated_at: this.#now, ...dueColumn }).execute();
      } else {
        await trx.updateTable(t).set({ value, version, expires_at: expiresAt, updated_at: this.#now, ...dueColumn })
          .where((eb) => this.#isKey(eb, k)).execute();
      }
      return version;
    });
  }

  /** One lock attempt: the lease row inserted, or taken over when expired. @returns whether `token` now owns it */
  async #tryLock(k: StoredKey, token: string, leaseMs: number): Promise<boolean> {
    const t = this.tables.locks;
    const expiresAt = sql<number>`${this.#now} + ${leaseMs}`;
    if (this.dialect !== 'mysql') {
      const row = await this.#db.insertInto(t)
        .values({ ...k, owner: token, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['kind', 'provider', 'subject'])
          .doUpdateSet({ owner: sql`excluded.owner`, expires_at: sql`excluded.expires_at` })
          .where(sql.ref(`${t}.expires_at`), '<=', this.#now))
        .returning('owner')
        .executeTakeFirst();
      return row !== undefined;
    }
    return this.#mysqlTransaction(async (trx) => {
      const row = await trx.selectFrom(t)
        .select(sql<number>`${sql.ref('expires_at')} <= ${this.#now}`.as('expired'))
        .where((eb) => this.#isKey(eb, k)).forUpdate().executeTakeFirst() as { expired: number | string } | undefined;
      if (row === undefined) {
        try {
          await trx.insertInto(t).values({ ...k, owner: token, expires_at: expiresAt }).execute();
        } catch (err) {
          if (mysqlCode(err) === 'ER_DUP_ENTRY') return false; // another process inserted it first
          throw err;
        }
        return true;
      }
      if (Number(row.expired) === 0) return false;
      await trx.updateTable(t).set({ owner: token, expires_at: expiresAt }).where((eb) => this.#isKey(eb, k)).execute();
      return true;
    }, { retry: false });
  }

  /** A READ COMMITTED transaction (no gap locks, so concurrent creators don't deadlock), retried on deadlock or duplicate key. */
  async #mysqlTransaction<T>(body: (trx: Trx) => Promise<T>, { retry = true } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().setIsolationLevel('read committed').execute(body);
      } catch (err) {
        if (!retry || attempt >= MYSQL_ATTEMPTS || !MYSQL_RETRYABLE.has(mysqlCode(err) ?? '')) throw err;
      }
    }
  }

  /** The store's compiled `name` query, built on first use (see {@link PreparedQuery}). */
  #prepared<Row>(name: string, count: number, build: (placeholders: readonly unknown[]) => { compile(): CompiledQuery<Row> }): PreparedQuery<Row> {
    let query = this.#queries.get(name) as PreparedQuery<Row> | undefined;
    if (query === undefined) {
      query = new PreparedQuery(build, count);
      this.#queries.set(name, query);
    }
    return query;
  }

  /** `pg`'s query config for `query` with `values`: named (prepared) unless `preparedStatements` is off. */
  #pgQuery(query: PreparedQuery<unknown>, values: readonly unknown[]): { text: string; values: unknown[]; name?: string } {
    const parameters = query.parameters(values);
    return this.#preparedStatements ? { name: query.name, text: query.sql, values: parameters } : { text: query.sql, values: parameters };
  }

  #isKey(eb: Eb, k: { readonly kind: unknown; readonly provider: unknown; readonly subject: unknown }): Expression<SqlBool> {
    return eb.and([eb('kind', '=', k.kind), eb('provider', '=', k.provider), eb('subject', '=', k.subject)]);
  }

  #isLive(eb: Eb): Expression<SqlBool> {
    return eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.#now)]);
  }

  /**
   * `run()` raced against the call's deadline (a timer armed now, cleared when the call settles).
   * A failure becomes `STORE_UNAVAILABLE`; an `AuthManagerError` from inside passes through.
   */
  #call<T>(operation: Operation, key: RecordKey | undefined, run: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (err) {
      pending = Promise.reject(err);
    }
    const timeoutMs = this.#commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs === 0 ? undefined : setTimeout(() => {
        const cause = new Error(`no answer from the database within ${timeoutMs} ms of the call`);
        cause.name = 'TimeoutError';
        reject(new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, `${failedDuring(operation, key)}: no answer within ${timeoutMs} ms`,
          { cause, ...(key ? { provider: key.provider } : {}) }));
      }, timeoutMs);
      pending.then(
        (value) => { clearTimeout(timer); resolve(value); },
        (err: unknown) => { clearTimeout(timer); reject(AuthManagerError.is(err) ? err : unavailable(operation, key, err)); },
      );
    });
  }
}

/**
 * How the options' `database` becomes a Kysely dialect. Drivers are imported when the first query
 * runs (Kysely calls the pool factories then), so a SQLite user needs neither `pg` nor `mysql2`.
 */
/**
 * The driver objects behind Kysely, filled in when they are opened, for the hot read: a `pg` pool
 * (`query({ name, text, values })`) and the `node:sqlite` adapter.
 */
interface DriverHandles {
  pg?: { query(config: { text: string; values: unknown[]; name?: string }): Promise<unknown> };
  sqlite?: NodeSqliteDatabase;
}

function openDatabase(database: SqlDatabase, poolSize: number, commandTimeoutMs: number, drivers: DriverHandles): { dialect: SqlDialectName; kyselyDialect: Dialect; owned: boolean } {
  const connectTimeoutMs = commandTimeoutMs === 0 ? 10_000 : commandTimeoutMs;
  if (typeof database !== 'string') {
    if ('postgres' in database) {
      drivers.pg = database.postgres as unknown as DriverHandles['pg'];
      return { dialect: 'postgres', kyselyDialect: new PostgresDialect({ pool: guardedPgPool(database.postgres) }), owned: false };
    }
    if ('mysql' in database) return { dialect: 'mysql', kyselyDialect: new MysqlDialect({ pool: database.mysql }), owned: false };
    if ('sqlite' in database) {
      const adapter = new NodeSqliteDatabase(database.sqlite, false);
      drivers.sqlite = adapter;
      return { dialect: 'sqlite', kyselyDialect: new SqliteDialect({ database: adapter }), owned: false };
    }
    throw new AuthManagerError(ErrorCode.CONFIGURATION, 'SqlCredentialStore: database must be a URL or { postgres }, { mysql } or { sqlite }');
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(database)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return {
      dialect: 'postgres', owned: true,
      kyselyDialect: new PostgresDialect({
        pool: async () => {
          const { default: pg } = await import('pg');
          const pool = new pg.Pool({ connectionString: database, max: poolSize, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
          // An idle connection that the server drops (restart, failover) emits 'error' on the pool;
          // the pool discards it and reconnects on demand. Without a listener Node would crash.
          pool.on('error', () => {});
          drivers.pg = pool as unknown as DriverHandles['pg'];
          return guardedPgPool(pool);
        },
      }),
    };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    return {
      dialect: 'mysql', owned: true,
      kyselyDialect: new MysqlDialect({
        pool: async () => {
          const { createPool } = await import('mysql2');
          return createPool({
            uri: database.replace(/^mariadb:/i, 'mysql:'), connectionLimit: poolSize,
            connectTimeout: connectTimeoutMs, enableKeepAlive: true,
          });
        },
      }),
    };
  }
  if (scheme === 'sqlite') {
    const path = database.slice('sqlite:'.length);
    if (path === '') throw new AuthManagerError(ErrorCode.CONFIGURATION, 'SqlCredentialStore: sqlite: URL without a path (use sqlite::memory: or sqlite:/path/to/file.db)');
    return {
      dialect: 'sqlite', owned: true,
      kyselyDialect: new SqliteDialect({
        database: async () => {
          const { DatabaseSync } = await import('node:sqlite');
          const db = new DatabaseSync(path);
          if (path !== ':memory:') {
            // WAL: readers don't block the writer; several processes may share the file, waiting
            // up to busy_timeout for the write lock. busy_timeout first: switching a new file to
            // WAL takes a lock, and without the timeout a concurrent opener fails at once.
            db.exec(`PRAGMA busy_timeout = ${connectTimeoutMs}`);
            db.exec('PRAGMA journal_mode = WAL');
          }
          const adapter = new NodeSqliteDatabase(db, true);
          drivers.sqlite = adapter;
          return adapter;
        },
      }),
    };
  }
  throw new AuthManagerError(ErrorCode.CONFIGURATION,
    `SqlCredentialStore: unsupported database URL scheme "${scheme ?? ''}" (use postgres:, postgresql:, mysql:, mariadb: or sqlite:)`);
}

/**
 * `pool`, handing out clients that always have an `'error'` listener. Kysely checks clients out
 * with `pool.connect()`; while one is checked out, pg-pool's own listener is off, and a connection
 * the server cuts (a crash, `pg_ctl stop -m immediate`, a failover) makes the client emit
 * `'error'` with no listener, which kills the process (found by the killed-server test). The
 * failed query still rejects, and pg-pool drops the dead client when Kysely releases it.
 */
function guardedPgPool(pool: PgPool): PostgresPool {
  const guarded = new WeakSet<object>();
  return {
    async connect() {
      const client = await pool.connect();
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on('error', () => {});
      }
      return client;
    },
    end: () => pool.end(),
    options: pool.options,
    // Kysely opens a control client of this class to cancel a query it aborts.
    Client: (pool as unknown as { Client?: PostgresPool['Client'] }).Client,
  };
}

/** @throws RangeError when a key part is not well-formed or too long for the schema */
function storedKey(key: RecordKey): StoredKey {
  const provider = utf8('provider', key.provider);
  const subject = utf8('subject', key.subject);
  if (provider.length > MAX_PROVIDER_BYTES) throw new RangeError(`provider is longer than ${MAX_PROVIDER_BYTES} UTF-8 bytes`);
  if (subject.length > MAX_SUBJECT_BYTES) throw new RangeError(`subject is longer than ${MAX_SUBJECT_BYTES} UTF-8 bytes`);
  return { kind: key.kind, provider, subject };
}

/**
 * The UTF-8 bytes of `text`. A lone surrogate has no UTF-8 form (it would become U+FFFD and two
 * strings would share one key), so it is refused.
 */
function utf8(what: string, text: string): Buffer {
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) throw new RangeError(`${what} is not well-formed UTF-16 (lone surrogate)`);
  return Buffer.from(text, 'utf8');
}

function fromUtf8(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
}

function toRecord(row: RecordRow): StoredRecord {
  return { value: fromUtf8(row.value), version: Number(row.version) };
}

function failedDuring(operation: Operation, key: RecordKey | undefined): string {
  return `SQL credential store failed during ${operation}${key ? ` of a ${key.kind} record for provider "${key.provider}"` : ''}`;
}

function unavailable(operation: Operation, key: RecordKey | undefined, err: unknown): AuthManagerError {
  const hint = isMissingTable(err) ? ' (its tables do not exist: run store.migrate())' : '';
  return new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, `${failedDuring(operation, key)}${hint}`,
    { cause: redactedCause(err), ...(key ? { provider: key.provider } : {}) });
}

function conflict(key: RecordKey, expected: number | null): AuthManagerError {
  return new AuthManagerError(ErrorCode.STORE_CONFLICT,
    `Write conflict on ${key.kind} record for provider "${key.provider}": expected ${expected === null ? 'no record' : `version ${expected}`}, found ${expected === null ? 'one' : 'another version or none'}`,
    { provider: key.provider });
}

function mysqlCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isMissingTable(err: unknown): boolean {
  const code = mysqlCode(err);
  // PostgreSQL undefined_table, MySQL ER_NO_SUCH_TABLE, SQLite's message.
  return code === '42P01' || code === 'ER_NO_SUCH_TABLE' || (err instanceof Error && /no such table/.test(err.message));
}

/**
 * A copy of a driver error with name, message, stack and the fields that identify the failure
 * (`code`, `errno`, `sqlState`, `severity`, `syscall`, `address`, `port`): drivers attach more
 * (`mysql2` the SQL with its values, `pg` a `detail` that can quote a row), which may hold
 * credentials.
 */
function redactedCause(err: unknown): Error {
  if (!(err instanceof Error)) return new Error('non-Error failure from the database driver');
  const copy = new Error(err.message);
  copy.name = err.name;
  if (err.stack !== undefined) copy.stack = err.stack;
  const source = err as unknown as Record<string, unknown>;
  const target = copy as unknown as Record<string, unknown>;
  for (const field of ['code', 'errno', 'sqlState', 'severity', 'syscall', 'address', 'port']) {
    const value = source[field];
    if (typeof value === 'string' || typeof value === 'number') target[field] = value;
  }
  return copy;
}
