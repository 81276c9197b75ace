import type { RecordKey } from './CredentialStore.js';

interface DueEntry<R> {
  readonly atMs: number;
  readonly key: RecordKey;
  /** The record the entry was made for: the entry is live only while it is still the stored one. */
  readonly record: R;
}

/**
 * An expiry index for an in-process store: a binary min-heap on the due time with lazy deletion.
 * Adding is O(log n); finding what is due visits only heap nodes due by then (a heap's children are
 * never due earlier than their parent), so it costs O(due · log due), not a scan. Entries of records
 * since rewritten or deleted are dropped when met, and the heap is rebuilt when they outnumber the
 * live ones.
 */
export class DueIndex<R> {
  #heap: DueEntry<R>[] = [];
  #stale = 0;

  /** Indexes `record` (stored under `key`) as due at `atMs`, epoch milliseconds. */
  add(atMs: number, key: RecordKey, record: R): void {
    const heap = this.#heap;
    heap.push({ atMs, key, record });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.atMs <= heap[i]!.atMs) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  /** Notes that an indexed record was replaced or removed (for the rebuild heuristic). */
  dropped(): void {
    if (++this.#stale > 1024 && this.#stale > this.#heap.length / 2) this.#stale = Number.POSITIVE_INFINITY;
  }

  /**
   * Keys of live records due at or before `beforeMs`, earliest first, at most `limit`.
   * @param isLive - whether `record` is still the one stored under `key`
   */
  due(beforeMs: number, limit: number, isLive: (key: RecordKey, record: R) => boolean): RecordKey[] {
    if (this.#stale === Number.POSITIVE_INFINITY) this.#rebuild(isLive);
    const found: DueEntry<R>[] = [];
    const heap = this.#heap;
    const stack = heap.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const entry = heap[i]!;
      if (entry.atMs > beforeMs) continue;
      if (isLive(entry.key, entry.record)) found.push(entry);
      const left = 2 * i + 1;
      if (left < heap.length) stack.push(left);
      if (left + 1 < heap.length) stack.push(left + 1);
    }
    found.sort((a, b) => a.atMs - b.atMs);
    return found.slice(0, limit).map((e) => e.key);
  }

  #rebuild(isLive: (key: RecordKey, record: R) => boolean): void {
    const live = this.#heap.filter((e) => isLive(e.key, e.record));
    this.#heap = [];
    this.#stale = 0;
    for (const e of live) this.add(e.atMs, e.key, e.record);
  }
}
