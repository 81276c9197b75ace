import type { SqliteDatabase, SqliteStatement } from 'kysely';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** Prepared statements kept per SQL text; the store issues a few dozen distinct ones. */
const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely's `SqliteDialect` is written against better-sqlite3's `Database` (`prepare(sql)` with a
 * statement that has `reader`, `all`, `run`, `iterate`). Node's built-in `node:sqlite`
 * (`DatabaseSync`, flagless from Node 22.13) has the same shape except `reader`, which this
 * adapter derives from `StatementSync.columns()`. Why `node:sqlite` and not better-sqlite3: it is
 * part of Node, so there is no native add-on to build or download for each Node major (CI runs
 * 22, 24 and 26; better-sqlite3 13 needs a prebuilt binary or a compiler per ABI).
 *
 * Statements are prepared once per SQL text and reused (bounded cache).
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #closeOnDestroy: boolean;
  readonly #statements = new Map<string, { readonly adapted: SqliteStatement; readonly statement: StatementSync }>();

  /**
   * @param db - an open `node:sqlite` database
   * @param closeOnDestroy - close `db` when Kysely is destroyed (only for a database the store opened)
   */
  constructor(db: DatabaseSync, closeOnDestroy: boolean) {
    this.#db = db;
    this.#closeOnDestroy = closeOnDestroy;
  }

  close(): void {
    this.#statements.clear();
    if (this.#closeOnDestroy) this.#db.close();
  }

  prepare(sql: string): SqliteStatement {
    return this.#cached(sql).adapted;
  }

  /**
   * The first row `sql` yields with `parameters`, or `undefined`: `StatementSync.get`, for the
   * store's point reads (no array of rows, unlike Kysely's `all`).
   */
  getRow(sql: string, parameters: readonly unknown[]): unknown {
    return this.#cached(sql).statement.get(...(parameters as never[]));
  }

  #cached(sql: string): { readonly adapted: SqliteStatement; readonly statement: StatementSync } {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) return cached;
    const statement = this.#db.prepare(sql);
    const adapted: SqliteStatement = {
      reader: returnsRows(statement, sql),
      all: (parameters) => statement.all(...(parameters as never[])),
      run: (parameters) => statement.run(...(parameters as never[])),
      iterate: (parameters) => statement.iterate(...(parameters as never[])) as IterableIterator<unknown>,
    };
    if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
    const entry = { adapted, statement };
    this.#statements.set(sql, entry);
    return entry;
  }
}

/** Whether the statement yields rows: `columns()` (Node ≥ 22.16), else the SQL's first word or a RETURNING clause. */
function returnsRows(statement: StatementSync, sql: string): boolean {
  const columns = (statement as unknown as { columns?: () => unknown[] }).columns;
  if (typeof columns === 'function') return columns.call(statement).length > 0;
  return /^\s*(select|with|pragma|values)\b/i.test(sql) || /\breturning\b/i.test(sql);
}
