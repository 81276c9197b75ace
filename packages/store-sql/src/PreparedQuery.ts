import { createHash } from 'node:crypto';
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';

/**
 * A query built and compiled once, run many times with new values. Building and compiling a Kysely
 * query costs more CPU than the round trip of a point lookup on a busy process (bench: reads went
 * from ~0.35x to ~0.9x of raw `pg`), so the store's per-call statements are built once per store
 * with placeholder objects in place of the values; each run puts the values where the placeholders
 * ended up in the compiled parameter list (the order the dialect's compiler chose).
 */
export class PreparedQuery<Row> {
  readonly #compiled: CompiledQuery<Row>;
  /** Per compiled parameter: the index of its value in `run`'s `values`, or -1 for a constant of the query. */
  readonly #positions: readonly number[];

  /**
   * @param build - builds the query from one placeholder per value, in the order of `run`'s `values`
   * @param count - how many values
   */
  constructor(build: (placeholders: readonly object[]) => { compile(): CompiledQuery<Row> }, count: number) {
    const placeholders = Array.from({ length: count }, () => ({}));
    this.#compiled = build(placeholders).compile();
    this.#positions = this.#compiled.parameters.map((parameter) => placeholders.indexOf(parameter as object));
  }

  /**
   * A name for the statement, the same for the same SQL text in every process: PostgreSQL prepares a
   * named statement once per connection and then skips parsing and planning it (`pg`'s
   * `{ name, text, values }` query config), which the store's point lookups and writes spend most of
   * their server time on.
   */
  get name(): string {
    return (this.#name ??= `authmanager_${createHash('sha256').update(this.#compiled.sql).digest('hex').slice(0, 24)}`);
  }

  #name: string | undefined;

  /** The compiled SQL text (the dialect's placeholders in place of the values). */
  get sql(): string {
    return this.#compiled.sql;
  }

  /** The compiled parameter list for `values` (in the order of the placeholders given to `build`). */
  parameters(values: readonly unknown[]): unknown[] {
    const positions = this.#positions;
    const constants = this.#compiled.parameters;
    const parameters = new Array<unknown>(positions.length);
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i] as number;
      parameters[i] = position < 0 ? constants[i] : values[position];
    }
    return parameters;
  }

  /** Run with `values` (in the order of the placeholders given to `build`). */
  run(db: Kysely<unknown>, values: readonly unknown[]): Promise<QueryResult<Row>> {
    return db.executeQuery({ ...this.#compiled, parameters: this.parameters(values) });
  }
}
