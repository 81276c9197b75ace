import { sql, type Kysely, type RawBuilder } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';

/** The database families the store speaks to. MariaDB is `mysql`. */
export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite';

/** Names of the store's tables, all `<tablePrefix><name>`. */
export interface SqlTableNames {
  /** Credentials and pending authorizations, one row per record. */
  readonly records: string;
  /** Refresh lock leases, one row per held (or expired, not yet purged) lock. */
  readonly locks: string;
  /** Kysely's migration log: one row per applied migration. */
  readonly migrations: string;
  /** Kysely's migration lock (one row), so concurrent `migrate()` calls run the migrations once. */
  readonly migrationLock: string;
}

/** Longest provider id the schema keeps, in UTF-8 bytes (a `VARBINARY(255)` on MySQL). */
export const MAX_PROVIDER_BYTES = 255;
/** Longest subject the schema keeps, in UTF-8 bytes (a `VARBINARY(1024)` on MySQL; the key must fit InnoDB's 3072-byte index limit). */
export const MAX_SUBJECT_BYTES = 1024;

/** @throws RangeError when the prefix is not a plain SQL identifier of at most 40 characters */
export function tableNames(prefix: string): SqlTableNames {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(prefix)) {
    throw new RangeError('tablePrefix must match /^[A-Za-z_][A-Za-z0-9_]{0,39}$/ (letters, digits, underscores)');
  }
  return {
    records: `${prefix}records`,
    locks: `${prefix}locks`,
    migrations: `${prefix}migrations`,
    migrationLock: `${prefix}migrations_lock`,
  };
}

/**
 * The database's own clock in milliseconds since the epoch, as a SQL expression: every process
 * sharing the database then agrees on expiry, whatever their clocks say.
 */
export function nowMsExpression(dialect: SqlDialectName): RawBuilder<number> {
  switch (dialect) {
    case 'postgres': return sql<number>`(floor(extract(epoch from clock_timestamp()) * 1000)::bigint)`;
    // UTC_TIMESTAMP does not depend on the session's time zone (UNIX_TIMESTAMP(NOW()) does, around DST).
    case 'mysql': return sql<number>`(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)`;
    case 'sqlite': return sql<number>`(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`;
  }
}

/** Column types for binary keys and values: keys and values may hold NUL and must compare byte for byte. */
function binaryType(dialect: SqlDialectName, maxBytes: number | undefined): RawBuilder<unknown> {
  switch (dialect) {
    case 'postgres': return sql`bytea`;
    case 'mysql': return maxBytes === undefined ? sql`longblob` : sql.raw(`varbinary(${maxBytes})`);
    case 'sqlite': return sql`blob`;
  }
}

/**
 * The schema as versioned migrations, applied in name order by Kysely's `Migrator`. A published
 * migration is never edited: a schema change is a new entry.
 */
export function storeMigrations(dialect: SqlDialectName, tables: SqlTableNames): Record<string, Migration> {
  return {
    '0001_records_and_locks': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.createTable(tables.records)
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('provider', binaryType(dialect, MAX_PROVIDER_BYTES), (c) => c.notNull())
          .addColumn('subject', binaryType(dialect, MAX_SUBJECT_BYTES), (c) => c.notNull())
          .addColumn('value', binaryType(dialect, undefined), (c) => c.notNull())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          // Every get/set/delete/take is a point lookup on it; list by kind (and provider) is a range of it.
          .addPrimaryKeyConstraint(`${tables.records}_pkey`, ['kind', 'provider', 'subject'])
          .execute();
        // purgeExpired() deletes `expires_at <= now` in bounded batches: a range scan of this index,
        // not of the table. Rows without expiry (credentials) are NULL and never in that range.
        await db.schema.createIndex(`${tables.records}_expires_at`).on(tables.records).column('expires_at').execute();
        // list({ kind, subject }) without a provider (all of one user's connections).
        await db.schema.createIndex(`${tables.records}_subject`).on(tables.records).columns(['kind', 'subject']).execute();

        await db.schema.createTable(tables.locks)
          .addColumn('kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('provider', binaryType(dialect, MAX_PROVIDER_BYTES), (c) => c.notNull())
          .addColumn('subject', binaryType(dialect, MAX_SUBJECT_BYTES), (c) => c.notNull())
          .addColumn('owner', 'varchar(64)', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          // One lease per record key: taking a lock is an insert-or-take-over-if-expired of this row.
          .addPrimaryKeyConstraint(`${tables.locks}_pkey`, ['kind', 'provider', 'subject'])
          .execute();
        // purgeExpired() removes leases whose owner crashed before releasing them.
        await db.schema.createIndex(`${tables.locks}_expires_at`).on(tables.locks).column('expires_at').execute();
      },
    },
    '0002_due_at': {
      async up(db: Kysely<unknown>): Promise<void> {
        // When a credential is due for a proactive refresh (SetOptions.dueAtMs), ms since the epoch;
        // NULL for records not indexed.
        await db.schema.alterTable(tables.records).addColumn('due_at', 'bigint').execute();
        // listDue(): `due_at <= $before ORDER BY due_at LIMIT n` is a range scan of this index,
        // O(due · log n); NULLs (pending records, credentials without a refresh token) are never in it.
        await db.schema.createIndex(`${tables.records}_due_at`).on(tables.records).column('due_at').execute();
      },
    },
  };
}

/** A Kysely `Migrator` for the store's migrations and its own migration tables. */
export function storeMigrator(db: Kysely<unknown>, dialect: SqlDialectName, tables: SqlTableNames): Migrator {
  const migrations = storeMigrations(dialect, tables);
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: tables.migrations,
    migrationLockTableName: tables.migrationLock,
  });
}
