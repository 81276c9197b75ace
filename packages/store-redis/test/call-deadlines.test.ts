import { beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallDeadlines } from '../src/CallDeadlines.js';

/** How a watched call ended, and when, in ms from the start of the test. */
interface Ending { readonly how: string; readonly atMs: number }

// One timer serves every call in flight; each call must still fail at its own deadline (from its
// own start), neither earlier (when an older call's deadline passes) nor later.
describe('CallDeadlines: one shared timer, a deadline per call', () => {
  const TIMEOUT_MS = 200;
  const endings: Record<string, Ending> = {};

  beforeAll(async () => {
    const deadlines = new CallDeadlines<string>(TIMEOUT_MS, (name, timeoutMs) => new Error(`${name}: no reply within ${timeoutMs} ms`));
    const started = performance.now();
    const record = (name: string, call: Promise<unknown>): Promise<void> => call.then(
      (value) => { endings[name] = { how: `resolved ${String(value)}`, atMs: performance.now() - started }; },
      (err: unknown) => { endings[name] = { how: (err as Error).message, atMs: performance.now() - started }; },
    );
    const never = new Promise<never>(() => {});
    const calls = [
      record('first', deadlines.watch(never, 'first', () => new Error('unused'))),
      record('answered', deadlines.watch(sleep(50, 'ok'), 'answered', () => new Error('unused'))),
      record('failed', deadlines.watch(sleep(60).then(() => { throw new Error('ECONNRESET'); }), 'failed', (err) => new Error(`mapped ${(err as Error).message}`))),
    ];
    await sleep(100);
    calls.push(record('later', deadlines.watch(never, 'later', () => new Error('unused'))));
    await Promise.all(calls);
  });

  it('fails an unanswered call at its deadline, not before', () => {
    expect(endings.first?.how).toBe(`first: no reply within ${TIMEOUT_MS} ms`);
    expect(endings.first!.atMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 1);
    expect(endings.first!.atMs).toBeLessThan(TIMEOUT_MS + 80);
  });

  it('fails a call made later at its own deadline (from its own start), not at the older one', () => {
    expect(endings.later?.how).toBe(`later: no reply within ${TIMEOUT_MS} ms`);
    expect(endings.later!.atMs).toBeGreaterThanOrEqual(100 + TIMEOUT_MS - 1);
    expect(endings.later!.atMs).toBeLessThan(100 + TIMEOUT_MS + 80);
  });

  it('passes an answer through when it comes before the deadline', () => {
    expect(endings.answered?.how).toBe('resolved ok');
  });

  it('maps a failure before the deadline with the given function', () => {
    expect(endings.failed?.how).toBe('mapped ECONNRESET');
  });
});
