import type { RecordKey } from './CredentialStore.js';

/**
 * An expiry index for an in-process store: a binary min-heap on the due time with lazy deletion.
 * Adding is O(log n); finding what is due visits only heap nodes due by then (a heap's children are
 * never due earlier than their parent), so it costs O(due · log due), not a scan. Entries of records
 * since rewritten or deleted are dropped when met, and the heap is rebuilt when they outnumber the
 * live ones.
 *
 * The heap is kept in parallel arrays (due times as unboxed doubles, the key's parts, the record)
 * rather than an entry object and a key object per record: ~40 bytes an entry instead of ~170 at a
 * million credentials.
 */
export class DueIndex<R> {
  #atMs: number[] = [];
  #kind: RecordKey['kind'][] = [];
  #provider: string[] = [];
  #subject: string[] = [];
  #record: R[] = [];
  #stale = 0;

  /** Indexes `record` (stored under `key`) as due at `atMs`, epoch milliseconds. */
  add(atMs: number, key: RecordKey, record: R): void {
    const at = this.#atMs;
    at.push(atMs);
    this.#kind.push(key.kind);
    this.#provider.push(key.provider);
    this.#subject.push(key.subject);
    this.#record.push(record);
    let i = at.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (at[parent]! <= at[i]!) break;
      this.#swap(parent, i);
      i = parent;
    }
  }

  /** Notes that an indexed record was replaced or removed (for the rebuild heuristic). */
  dropped(): void {
    if (++this.#stale > 1024 && this.#stale > this.#atMs.length / 2) this.#stale = Number.POSITIVE_INFINITY;
  }

  /**
   * Keys of live records due at or before `beforeMs`, earliest first, at most `limit`.
   * @param isLive - whether `record` is still the one stored under `key`
   */
  due(beforeMs: number, limit: number, isLive: (key: RecordKey, record: R) => boolean): RecordKey[] {
    if (this.#stale === Number.POSITIVE_INFINITY) this.#rebuild(isLive);
    const found: { readonly atMs: number; readonly key: RecordKey }[] = [];
    const at = this.#atMs;
    const stack = at.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (at[i]! > beforeMs) continue;
      const key = this.#keyAt(i);
      if (isLive(key, this.#record[i]!)) found.push({ atMs: at[i]!, key });
      const left = 2 * i + 1;
      if (left < at.length) stack.push(left);
      if (left + 1 < at.length) stack.push(left + 1);
    }
    found.sort((a, b) => a.atMs - b.atMs);
    return found.slice(0, limit).map((e) => e.key);
  }

  #keyAt(i: number): RecordKey {
    return { kind: this.#kind[i]!, provider: this.#provider[i]!, subject: this.#subject[i]! };
  }

  #swap(i: number, j: number): void {
    swap(this.#atMs, i, j);
    swap(this.#kind, i, j);
    swap(this.#provider, i, j);
    swap(this.#subject, i, j);
    swap(this.#record, i, j);
  }

  #rebuild(isLive: (key: RecordKey, record: R) => boolean): void {
    const entries: { atMs: number; key: RecordKey; record: R }[] = [];
    for (let i = 0; i < this.#atMs.length; i++) {
      const key = this.#keyAt(i);
      if (isLive(key, this.#record[i]!)) entries.push({ atMs: this.#atMs[i]!, key, record: this.#record[i]! });
    }
    this.#atMs = []; this.#kind = []; this.#provider = []; this.#subject = []; this.#record = [];
    this.#stale = 0;
    for (const e of entries) this.add(e.atMs, e.key, e.record);
  }
}

function swap<T>(column: T[], i: number, j: number): void {
  const t = column[i]!;
  column[i] = column[j]!;
  column[j] = t;
}
