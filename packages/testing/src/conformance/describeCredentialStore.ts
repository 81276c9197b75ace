import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AuthManager, AuthManagerError, defineProvider, z, appField,
  type CredentialStore, type ErrorCode, type RecordKey, type RecordKind,
} from '@authmanager/core';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the factory given to {@link describeCredentialStore} returns. */
export interface CredentialStoreFixture {
  /** The store under test. */
  readonly store: CredentialStore;
  /**
   * Called once after all tests of the suite (`afterAll`). When absent, the suite calls
   * `store.close?.()` instead.
   */
  readonly cleanup?: () => Promise<void>;
}

/** Options for {@link describeCredentialStore}. */
export interface CredentialStoreConformanceOptions {
  /**
   * Fail when the store has no `lock` method. Stores shared between processes set this, so their
   * lock tests can never pass by being skipped.
   * @default false
   */
  readonly requireLock?: boolean;
}

/**
 * The conformance suite every {@link CredentialStore} in this repository runs (the store port's
 * contract, as executable tests). Registers one jest `describe` block named after `name`.
 *
 * Covers: get/set round trips; versions (start at 1, +1 per write, also under concurrent writers);
 * `ifVersion` (`null` = create only, number = compare-and-set; a mismatch throws `STORE_CONFLICT`
 * and writes nothing); delete with and without `ifVersion`; `take` (once, and exactly one winner
 * among concurrent takes); `ttlMs` expiry (real waiting, 150 ms ttls); `list` by kind, provider and
 * subject; isolation of kinds, providers and subjects, including subjects with `:`, `{`, `}`, `%`,
 * `*`, NUL and look-alikes; unicode and 64 KiB values; and, when the store has `lock`: exclusivity,
 * release by the owner only, expiry after `ttlMs`, `LOCK_TIMEOUT` after `waitMs`.
 *
 * The factory runs before each test (`beforeEach`); it may return the same backing store every
 * time: every test uses its own random provider and subject names, so no flush is needed and the
 * suite may share a store with other suites. The whole suite waits about 3 s in total for expiries.
 *
 * @param name - shown in the test report, e.g. `'RedisCredentialStore (standalone)'`
 * @param factory - creates (or hands out) the store under test, see {@link CredentialStoreFixture}
 * @param options - see {@link CredentialStoreConformanceOptions}
 *
 * @example
 * ```ts
 * import { MemoryCredentialStore } from '@authmanager/core';
 * import { describeCredentialStore } from '@authmanager/testing';
 *
 * describeCredentialStore('MemoryCredentialStore', async () => ({ store: new MemoryCredentialStore() }));
 * ```
 */
export function describeCredentialStore(
  name: string,
  factory: () => Promise<CredentialStoreFixture>,
  options: CredentialStoreConformanceOptions = {},
): void {
  describe(`CredentialStore conformance: ${name}`, () => {
    let store: CredentialStore;
    const cleanups: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      const fixture = await factory();
      store = fixture.store;
      const { cleanup } = fixture;
      cleanups.push(cleanup ?? (async () => { await fixture.store.close?.(); }));
    });

    afterAll(async () => {
      // A factory that hands out one shared store returns the same cleanup every time: run it once.
      for (const cleanup of new Set(cleanups)) await cleanup();
    });

    describe('get and set', () => {
      it('returns undefined for a record that was never written', async () => {
        expect(await store.get(newKey())).toBeUndefined();
      });

      it('returns the written value with version 1 from set and from get', async () => {
        const key = newKey();
        const written = await store.set(key, 'value-1');
        const read = await store.get(key);
        expect({ written: plain(written), read: plain(read) }).toEqual({
          written: { value: 'value-1', version: 1 },
          read: { value: 'value-1', version: 1 },
        });
      });

      it('grows the version by exactly 1 per write and keeps the latest value', async () => {
        const key = newKey();
        const versions: number[] = [];
        for (let i = 1; i <= 5; i++) versions.push((await store.set(key, `value-${i}`)).version);
        const read = await store.get(key);
        expect({ versions, read: plain(read) }).toEqual({
          versions: [1, 2, 3, 4, 5],
          read: { value: 'value-5', version: 5 },
        });
      });

      it('keeps an empty string value (distinct from no record)', async () => {
        const key = newKey();
        await store.set(key, '');
        expect(plain(await store.get(key))).toEqual({ value: '', version: 1 });
      });

      it('gives every concurrent unconditional writer its own version (1..n, no lost increment)', async () => {
        const key = newKey();
        const n = 25;
        const results = await Promise.all(Array.from({ length: n }, (_, i) => store.set(key, `writer-${i}`)));
        const versions = results.map((r) => r.version).sort((a, b) => a - b);
        const read = await store.get(key);
        const winner = results.find((r) => r.version === n);
        expect({ versions, readVersion: read?.version, readValue: read?.value }).toEqual({
          versions: Array.from({ length: n }, (_, i) => i + 1),
          readVersion: n,
          readValue: winner?.value,
        });
      });
    });

    describe('values', () => {
      const unicode = 'Grüße, 世界! 🔑🔐 \u{1F9D1}\u200D\u{1F4BB} ﷺ עִבְרִית e\u0301 \u0000nul \r\n\t "quoted" \\ {braces} :colon: %41 *?[]';

      it('round-trips unicode, control characters and JSON-like text exactly', async () => {
        const key = newKey();
        await store.set(key, unicode);
        expect((await store.get(key))?.value).toBe(unicode);
      });

      it('round-trips a 64 KiB value through set, get and take', async () => {
        const key = newKey();
        const large = largeValue(64 * 1024);
        await store.set(key, large);
        const read = await store.get(key);
        const taken = await store.take(key);
        expect({
          readLength: read?.value.length, readEqual: read?.value === large,
          takenEqual: taken?.value === large,
        }).toEqual({ readLength: large.length, readEqual: true, takenEqual: true });
      });

      it('stores a 64 KiB value through compare-and-set', async () => {
        const key = newKey();
        const large = largeValue(64 * 1024);
        await store.set(key, 'small');
        const written = await store.set(key, large, { ifVersion: 1 });
        const read = await store.get(key);
        expect({ version: written.version, equal: read?.value === large }).toEqual({ version: 2, equal: true });
      });
    });

    describe('compare-and-set (ifVersion)', () => {
      it('ifVersion: null creates a missing record with version 1', async () => {
        const key = newKey();
        const written = await store.set(key, 'created', { ifVersion: null });
        expect(plain(written)).toEqual({ value: 'created', version: 1 });
      });

      it('ifVersion: null on an existing record throws STORE_CONFLICT and writes nothing', async () => {
        const key = newKey();
        await store.set(key, 'first');
        const err = await rejectionOf(store.set(key, 'second', { ifVersion: null }));
        expect({ code: codeOf(err), record: plain(await store.get(key)) }).toEqual({
          code: 'STORE_CONFLICT', record: { value: 'first', version: 1 },
        });
      });

      it('ifVersion equal to the stored version writes and returns version + 1', async () => {
        const key = newKey();
        await store.set(key, 'v1');
        await store.set(key, 'v2');
        const written = await store.set(key, 'v3', { ifVersion: 2 });
        expect({ written: plain(written), read: plain(await store.get(key)) }).toEqual({
          written: { value: 'v3', version: 3 }, read: { value: 'v3', version: 3 },
        });
      });

      it('a stale ifVersion throws STORE_CONFLICT and writes nothing', async () => {
        const key = newKey();
        await store.set(key, 'v1');
        await store.set(key, 'v2');
        const err = await rejectionOf(store.set(key, 'stale', { ifVersion: 1 }));
        expect({ code: codeOf(err), record: plain(await store.get(key)) }).toEqual({
          code: 'STORE_CONFLICT', record: { value: 'v2', version: 2 },
        });
      });

      it('an ifVersion ahead of the stored version throws STORE_CONFLICT', async () => {
        const key = newKey();
        await store.set(key, 'v1');
        const err = await rejectionOf(store.set(key, 'ahead', { ifVersion: 2 }));
        expect({ code: codeOf(err), record: plain(await store.get(key)) }).toEqual({
          code: 'STORE_CONFLICT', record: { value: 'v1', version: 1 },
        });
      });

      it('a numeric ifVersion on a missing record throws STORE_CONFLICT and creates nothing', async () => {
        const key = newKey();
        const err = await rejectionOf(store.set(key, 'ghost', { ifVersion: 1 }));
        expect({ code: codeOf(err), record: await store.get(key) }).toEqual({ code: 'STORE_CONFLICT', record: undefined });
      });

      it('the conflict error is an AuthManagerError with a message that does not contain the value', async () => {
        const key = newKey();
        const secret = `secret-${randomBytes(8).toString('hex')}`;
        await store.set(key, 'v1');
        const err = await rejectionOf(store.set(key, secret, { ifVersion: null }));
        expect({
          isError: AuthManagerError.is(err),
          leaks: JSON.stringify(AuthManagerError.is(err) ? err.toJSON() : null).includes(secret) ||
            String((err as Error).message).includes(secret),
        }).toEqual({ isError: true, leaks: false });
      });

      it('of many concurrent writers with the same ifVersion exactly one wins, every round', async () => {
        const key = newKey();
        await store.set(key, 'round-0');
        const writers = 12;
        const rounds: Array<{ wins: number; conflicts: number; other: number; version: number | undefined; valueFromWinner: boolean }> = [];
        for (let round = 1; round <= 5; round++) {
          const current = await store.get(key);
          const outcomes = await Promise.allSettled(Array.from({ length: writers }, (_, i) =>
            store.set(key, `round-${round}-writer-${i}`, { ifVersion: current?.version ?? -1 })));
          const won = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<CredentialStore['set']>>> => o.status === 'fulfilled');
          const read = await store.get(key);
          rounds.push({
            wins: won.length,
            conflicts: outcomes.filter((o) => o.status === 'rejected' && AuthManagerError.is(o.reason, 'STORE_CONFLICT')).length,
            other: outcomes.filter((o) => o.status === 'rejected' && !AuthManagerError.is(o.reason, 'STORE_CONFLICT')).length,
            version: read?.version,
            valueFromWinner: won.length === 1 && won[0]?.value.value === read?.value && won[0]?.value.version === read?.version,
          });
        }
        expect(rounds).toEqual([2, 3, 4, 5, 6].map((version) => ({
          wins: 1, conflicts: writers - 1, other: 0, version, valueFromWinner: true,
        })));
      });

      it('of many concurrent creators (ifVersion: null) exactly one wins', async () => {
        const key = newKey();
        const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
          store.set(key, `creator-${i}`, { ifVersion: null })));
        const winners = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        const conflicts = outcomes.filter((o) => o.status === 'rejected' && AuthManagerError.is(o.reason, 'STORE_CONFLICT'));
        const read = await store.get(key);
        expect({ winners: winners.length, conflicts: conflicts.length, version: read?.version, value: read?.value })
          .toEqual({ winners: 1, conflicts: 11, version: 1, value: winners[0]?.value });
      });
    });

    describe('delete', () => {
      it('deletes an existing record and returns true', async () => {
        const key = newKey();
        await store.set(key, 'doomed');
        const existed = await store.delete(key);
        expect({ existed, record: await store.get(key) }).toEqual({ existed: true, record: undefined });
      });

      it('returns false for a missing record', async () => {
        expect(await store.delete(newKey())).toBe(false);
      });

      it('deletes when ifVersion matches', async () => {
        const key = newKey();
        await store.set(key, 'v1');
        await store.set(key, 'v2');
        const existed = await store.delete(key, { ifVersion: 2 });
        expect({ existed, record: await store.get(key) }).toEqual({ existed: true, record: undefined });
      });

      it('throws STORE_CONFLICT and keeps the record when ifVersion is stale', async () => {
        const key = newKey();
        await store.set(key, 'v1');
        await store.set(key, 'v2');
        const err = await rejectionOf(store.delete(key, { ifVersion: 1 }));
        expect({ code: codeOf(err), record: plain(await store.get(key)) }).toEqual({
          code: 'STORE_CONFLICT', record: { value: 'v2', version: 2 },
        });
      });

      it('throws STORE_CONFLICT when ifVersion is given for a missing record', async () => {
        const err = await rejectionOf(store.delete(newKey(), { ifVersion: 1 }));
        expect(codeOf(err)).toBe('STORE_CONFLICT');
      });

      it('does not touch the same provider and subject under the other kind', async () => {
        const key = newKey('credentials');
        const other: RecordKey = { ...key, kind: 'pending' };
        await store.set(key, 'credentials');
        await store.set(other, 'pending');
        await store.delete(key);
        expect({ deleted: await store.get(key), other: plain(await store.get(other)) }).toEqual({
          deleted: undefined, other: { value: 'pending', version: 1 },
        });
      });
    });

    describe('take', () => {
      it('returns the record once, then undefined, and removes it', async () => {
        const key = newKey('pending');
        await store.set(key, 'state-payload');
        await store.set(key, 'state-payload-2');
        const first = await store.take(key);
        const second = await store.take(key);
        expect({ first: plain(first), second, after: await store.get(key) }).toEqual({
          first: { value: 'state-payload-2', version: 2 }, second: undefined, after: undefined,
        });
      });

      it('returns undefined for a missing record', async () => {
        expect(await store.take(newKey('pending'))).toBeUndefined();
      });

      it('gives a record to exactly one of two concurrent takes', async () => {
        const results: number[] = [];
        for (let i = 0; i < 20; i++) {
          const key = newKey('pending');
          await store.set(key, `payload-${i}`);
          const [a, b] = await Promise.all([store.take(key), store.take(key)]);
          results.push((a === undefined ? 0 : 1) + (b === undefined ? 0 : 1));
        }
        expect(results).toEqual(Array.from({ length: 20 }, () => 1));
      });

      it('gives a record to exactly one of many concurrent takes, with its value', async () => {
        const key = newKey('pending');
        await store.set(key, 'only-once');
        const results = await Promise.all(Array.from({ length: 16 }, () => store.take(key)));
        const got = results.filter((r) => r !== undefined);
        expect(got.map(plain)).toEqual([{ value: 'only-once', version: 1 }]);
      });

      it('lets a new record be created after a take, starting again from ifVersion: null', async () => {
        const key = newKey('pending');
        await store.set(key, 'first');
        await store.take(key);
        const written = await store.set(key, 'again', { ifVersion: null });
        expect(written.value).toBe('again');
      });
    });

    describe('ttlMs', () => {
      it('keeps a record until its ttl and removes it after', async () => {
        const key = newKey('pending');
        await store.set(key, 'short-lived', { ttlMs: 150 });
        const before = await store.get(key);
        await sleep(350);
        expect({ before: plain(before), after: await store.get(key) }).toEqual({
          before: { value: 'short-lived', version: 1 }, after: undefined,
        });
      });

      it('an expired record cannot be taken, listed, or compared against', async () => {
        const key = newKey('pending');
        await store.set(key, 'short-lived', { ttlMs: 150 });
        await sleep(350);
        const taken = await store.take(key);
        const listed = await collect(store.list({ kind: 'pending', provider: key.provider }));
        const casOnOld = codeOf(await rejectionOf(store.set(key, 'x', { ifVersion: 1 })));
        const created = await store.set(key, 'fresh', { ifVersion: null });
        expect({ taken, listed, casOnOld, created: plain(created) }).toEqual({
          taken: undefined, listed: [], casOnOld: 'STORE_CONFLICT', created: { value: 'fresh', version: 1 },
        });
      });

      it('a write without ttlMs makes the record permanent again', async () => {
        // The rewrite must land within the ttl (else the record is gone and the compare-and-set
        // rightly fails): a scenario where a busy machine delayed it past the ttl, seen from the
        // calls' start and end times, is run again, at most five times.
        const TTL_MS = 150;
        const SLACK_MS = 25; // the store's clock against this process's
        let read: unknown;
        for (let attempt = 1; attempt <= 5 && read === undefined; attempt++) {
          const key = newKey();
          const started = performance.now();
          await store.set(key, 'expiring', { ttlMs: TTL_MS });
          const rewrite = await store.set(key, 'permanent', { ifVersion: 1 }).then(() => undefined, (err: unknown) => err);
          const rewriteDone = performance.now();
          if (rewriteDone - started > TTL_MS - SLACK_MS) continue; // the rewrite may have come after expiry
          if (rewrite !== undefined) throw rewrite;
          await sleep(TTL_MS + 200);
          read = plain(await store.get(key)) ?? null;
        }
        expect(read).toEqual({ value: 'permanent', version: 2 });
      });

      it('a rewrite with ttlMs sets a new expiry from the time of that write', async () => {
        // The expectation holds only if each call lands in its window: the rewrite within the first
        // ttl, the first read past the first ttl and within the second, the last read past the
        // second. Each window is checked on the calls' start and end times (a busy machine can
        // stretch a sleep); a scenario that missed one is run again, at most five times.
        const FIRST_TTL_MS = 300;
        const SECOND_TTL_MS = 600;
        const SLACK_MS = 25; // the store's clock against this process's
        let outcome: { alive: unknown; gone: unknown } | undefined;
        for (let attempt = 1; attempt <= 5 && outcome === undefined; attempt++) {
          const key = newKey('pending');
          const t0 = performance.now();
          await store.set(key, 'a', { ttlMs: FIRST_TTL_MS });
          const firstDone = performance.now();
          await sleep(100);
          const rewriteStart = performance.now();
          await store.set(key, 'b', { ttlMs: SECOND_TTL_MS });
          const rewriteDone = performance.now();
          await sleep(Math.max(0, firstDone + FIRST_TTL_MS + SLACK_MS - performance.now()));
          const readStart = performance.now();
          const alive = await store.get(key);
          const readDone = performance.now();
          await sleep(Math.max(0, rewriteDone + SECOND_TTL_MS + SLACK_MS - performance.now()));
          const gone = await store.get(key);
          const inWindows = rewriteDone + SLACK_MS < t0 + FIRST_TTL_MS
            && readStart > firstDone + FIRST_TTL_MS
            && readDone + SLACK_MS < rewriteStart + SECOND_TTL_MS;
          if (inWindows) outcome = { alive: plain(alive), gone };
        }
        expect(outcome).toEqual({ alive: { value: 'b', version: 2 }, gone: undefined });
      });

      it('a record without ttlMs does not expire', async () => {
        const key = newKey();
        await store.set(key, 'forever');
        await sleep(300);
        expect(plain(await store.get(key))).toEqual({ value: 'forever', version: 1 });
      });
    });

    describe('list', () => {
      it('lists exactly the live records of one provider and kind', async () => {
        const provider = uniqueName('prov');
        const other = uniqueName('prov');
        const subjects = ['alice', 'bob', 'carol@example.com'];
        for (const subject of subjects) await store.set({ kind: 'credentials', provider, subject }, 'x');
        await store.set({ kind: 'pending', provider, subject: 'dave' }, 'x');
        await store.set({ kind: 'credentials', provider: other, subject: 'alice' }, 'x');
        await store.set({ kind: 'credentials', provider, subject: 'erin' }, 'x');
        await store.delete({ kind: 'credentials', provider, subject: 'erin' });
        await store.set({ kind: 'credentials', provider, subject: 'frank' }, 'x');
        await store.take({ kind: 'credentials', provider, subject: 'frank' });
        const listed = await collect(store.list({ kind: 'credentials', provider }));
        expect(sortKeys(listed)).toEqual(sortKeys(subjects.map((subject) => ({ kind: 'credentials', provider, subject }))));
      });

      it('lists one subject across providers', async () => {
        const subject = uniqueName('subject');
        const providers = [uniqueName('p'), uniqueName('p'), uniqueName('p')];
        for (const provider of providers) await store.set({ kind: 'credentials', provider, subject }, 'x');
        await store.set({ kind: 'credentials', provider: providers[0] ?? '', subject: `${subject}-other` }, 'x');
        await store.set({ kind: 'pending', provider: providers[0] ?? '', subject }, 'x');
        const listed = await collect(store.list({ kind: 'credentials', subject }));
        expect(sortKeys(listed)).toEqual(sortKeys(providers.map((provider) => ({ kind: 'credentials', provider, subject }))));
      });

      it('lists one provider and subject', async () => {
        const key = newKey();
        await store.set(key, 'x');
        await store.set({ ...key, subject: `${key.subject}x` }, 'x');
        await store.set({ ...key, kind: 'pending' }, 'x');
        const listed = await collect(store.list({ kind: 'credentials', provider: key.provider, subject: key.subject }));
        const missing = await collect(store.list({ kind: 'credentials', provider: key.provider, subject: `${key.subject}-none` }));
        expect({ listed, missing }).toEqual({ listed: [plainKey(key)], missing: [] });
      });

      it('by kind alone includes records of that kind and never one of the other kind', async () => {
        const provider = uniqueName('prov');
        await store.set({ kind: 'credentials', provider, subject: 's1' }, 'x');
        await store.set({ kind: 'pending', provider, subject: 's2' }, 'x');
        const credentials = await collect(store.list({ kind: 'credentials' }));
        const pending = await collect(store.list({ kind: 'pending' }));
        expect({
          credentialsKinds: [...new Set(credentials.map((k) => k.kind))],
          pendingKinds: [...new Set(pending.map((k) => k.kind))],
          ours: sortKeys([...credentials, ...pending].filter((k) => k.provider === provider)),
        }).toEqual({
          credentialsKinds: ['credentials'],
          pendingKinds: ['pending'],
          ours: sortKeys([
            { kind: 'credentials', provider, subject: 's1' },
            { kind: 'pending', provider, subject: 's2' },
          ]),
        });
      });

      it('returns provider and subject strings exactly as written, including special characters', async () => {
        const provider = `${uniqueName('prov')}:{x}*%2A`;
        const subjects = ['a:b', '{tag}', 'x}y{z', 'nul\u0000byte', '%00', '*', '?[a]\\', 'ünïcødé 🔑', '', ' spaced '];
        for (const subject of subjects) await store.set({ kind: 'credentials', provider, subject }, 'x');
        const listed = await collect(store.list({ kind: 'credentials', provider }));
        expect(sortKeys(listed)).toEqual(sortKeys(subjects.map((subject) => ({ kind: 'credentials', provider, subject }))));
      });

      it('treats glob characters in filters literally', async () => {
        const base = uniqueName('glob');
        await store.set({ kind: 'credentials', provider: `${base}*`, subject: 's' }, 'x');
        await store.set({ kind: 'credentials', provider: `${base}-other`, subject: 's' }, 'x');
        await store.set({ kind: 'credentials', provider: `${base}?`, subject: 's' }, 'x');
        const star = await collect(store.list({ kind: 'credentials', provider: `${base}*` }));
        const question = await collect(store.list({ kind: 'credentials', provider: `${base}?` }));
        expect({ star: star.map((k) => k.provider), question: question.map((k) => k.provider) })
          .toEqual({ star: [`${base}*`], question: [`${base}?`] });
      });

      it('lists many records, each once', async () => {
        const provider = uniqueName('many');
        const n = 300;
        await Promise.all(Array.from({ length: n }, (_, i) => store.set({ kind: 'credentials', provider, subject: `s${i}` }, 'x')));
        const listed = await collect(store.list({ kind: 'credentials', provider }));
        expect({ count: listed.length, distinct: new Set(listed.map((k) => k.subject)).size }).toEqual({ count: n, distinct: n });
      });

      it('returns nothing for a provider without records', async () => {
        expect(await collect(store.list({ kind: 'credentials', provider: uniqueName('none') }))).toEqual([]);
      });
    });

    describe('isolation', () => {
      it('keeps the two kinds apart for the same provider and subject', async () => {
        const key = newKey('credentials');
        const pending: RecordKey = { ...key, kind: 'pending' };
        await store.set(key, 'credentials-value');
        await store.set(pending, 'pending-value');
        expect({ credentials: plain(await store.get(key)), pending: plain(await store.get(pending)) }).toEqual({
          credentials: { value: 'credentials-value', version: 1 },
          pending: { value: 'pending-value', version: 1 },
        });
      });

      it('keeps providers apart for the same subject', async () => {
        const subject = uniqueName('subject');
        const a: RecordKey = { kind: 'credentials', provider: uniqueName('a'), subject };
        const b: RecordKey = { kind: 'credentials', provider: uniqueName('b'), subject };
        await store.set(a, 'a-value');
        await store.set(a, 'a-value-2');
        await store.set(b, 'b-value');
        expect({ a: plain(await store.get(a)), b: plain(await store.get(b)) }).toEqual({
          a: { value: 'a-value-2', version: 2 }, b: { value: 'b-value', version: 1 },
        });
      });

      it('does not let a separator in provider or subject move the boundary between them', async () => {
        const base = uniqueName('split');
        // Pairs that a naive "provider:subject" / "{provider}:{subject}" / percent-encoding key would merge.
        const keys: RecordKey[] = [
          { kind: 'credentials', provider: `${base}:a`, subject: 'b' },
          { kind: 'credentials', provider: base, subject: 'a:b' },
          { kind: 'credentials', provider: `${base}}`, subject: '{b' },
          { kind: 'credentials', provider: base, subject: '}:{b' },
          { kind: 'credentials', provider: `${base}%3A`, subject: 'b' },
          { kind: 'credentials', provider: base, subject: '%3Ab' },
        ];
        for (const [i, key] of keys.entries()) await store.set(key, `value-${i}`);
        const read = await Promise.all(keys.map(async (key) => plain(await store.get(key))));
        expect(read).toEqual(keys.map((_, i) => ({ value: `value-${i}`, version: 1 })));
      });

      it('keeps subjects apart that differ only by special or NUL-like characters', async () => {
        const provider = uniqueName('prov');
        const subjects = [
          'user', 'user:', 'user{', 'user}', '{user}', 'user\u0000', 'user\u0000x', 'user\u2400x', 'user%00x',
          'user\\0x', 'user%', 'user%25', 'user*', 'user?', 'user[1]', 'user ', 'User', 'üser', 'u\u0308ser', '',
        ];
        for (const [i, subject] of subjects.entries()) await store.set({ kind: 'credentials', provider, subject }, `value-${i}`);
        const read = await Promise.all(subjects.map(async (subject) => plain(await store.get({ kind: 'credentials', provider, subject }))));
        expect(read).toEqual(subjects.map((_, i) => ({ value: `value-${i}`, version: 1 })));
      });

      it('take, delete and compare-and-set on one subject leave a look-alike subject alone', async () => {
        const provider = uniqueName('prov');
        const a: RecordKey = { kind: 'pending', provider, subject: 'x{1}' };
        const b: RecordKey = { kind: 'pending', provider, subject: 'x{1}\u0000' };
        const c: RecordKey = { kind: 'pending', provider, subject: 'x\u00001}' };
        await store.set(a, 'a');
        await store.set(b, 'b');
        await store.set(c, 'c');
        await store.take(a);
        await store.delete(b, { ifVersion: 1 });
        await rejectionOf(store.set(c, 'never', { ifVersion: null }));
        expect({ a: await store.get(a), b: await store.get(b), c: plain(await store.get(c)) }).toEqual({
          a: undefined, b: undefined, c: { value: 'c', version: 1 },
        });
      });
    });

    describe('record formats, read through the manager', () => {
      // Records exactly as earlier releases wrote them: format 1 (before connection state) and 2.
      const subject = () => uniqueName('format-subject');
      const manager = () => new AuthManager({ providers: [formatProvider()], store, telemetry: false });
      it('a format-1 record (written before connection state) reads, as an active connection', async () => {
        const s = subject();
        const exp = Date.now() + 3_600_000;
        await store.set({ kind: 'credentials', provider: 'format', subject: s }, JSON.stringify({ v: 1, at: 'at-v1', tt: 'Bearer', rt: 'rt-v1', sc: ['a'], exp, iat: exp - 3_600_000, x: {}, raw: { r: 1 } }));
        const auth = manager();
        const c = await auth.loadCredentials('format', s);
        const [listed] = await auth.connections(s);
        expect({ at: c?.accessToken, rt: c?.refreshToken, exp: c?.expiresAtMs, raw: c?.raw, status: listed?.status })
          .toEqual({ at: 'at-v1', rt: 'rt-v1', exp, raw: { r: 1 }, status: 'active' });
      });
      it('a format-2 record (with connection state) reads with its status', async () => {
        const s = subject();
        await store.set({ kind: 'credentials', provider: 'format', subject: s }, JSON.stringify({
          v: 2, at: 'at-v2', tt: 'Bearer', rt: 'rt-v2', iat: 1, x: {}, raw: {}, rx: 4_102_444_800_000,
          cs: { st: 'reauthorization_required', ec: 'REAUTHORIZATION_REQUIRED', ca: 2, fc: 1, ra: 3 },
        }));
        const [listed] = await manager().connections(s);
        expect({ status: listed?.status, code: listed?.lastErrorCode, rtExpires: listed?.refreshTokenExpiresAt?.getTime(), connectedAt: listed?.connectedAt?.getTime() })
          .toEqual({ status: 'reauthorization_required', code: 'REAUTHORIZATION_REQUIRED', rtExpires: 4_102_444_800_000, connectedAt: 2 });
      });
      it('what the manager writes now reads back the same', async () => {
        const s = subject();
        const auth = manager();
        await auth.storeCredentials('format', s, { accessToken: 'at-now', refreshToken: 'rt-now', scopes: ['x'] });
        const c = await manager().loadCredentials('format', s);
        expect({ at: c?.accessToken, rt: c?.refreshToken, scopes: c?.scopes, status: c?.connection?.status }).toEqual({ at: 'at-now', rt: 'rt-now', scopes: ['x'], status: 'active' });
      });
    });

    describe('due index (listDue), for stores that have one', () => {
      it('lists credentials written with dueAtMs by then, earliest first, and forgets deleted ones', async () => {
        if (!store.listDue) return;
        const provider = uniqueName('due-provider');
        const key = (name: string): RecordKey => ({ kind: 'credentials', provider, subject: name });
        // Due times far in the past, so records other tests index are not among them.
        await store.set(key('b'), 'v', { dueAtMs: 20 });
        await store.set(key('a'), 'v', { dueAtMs: 10 });
        await store.set(key('gone'), 'v', { dueAtMs: 15 });
        await store.delete(key('gone'));
        const due = (await store.listDue(30, 1000)).filter((k) => k.provider === provider).map(plainKey);
        expect(due).toEqual([key('a'), key('b')]);
        await store.set(key('a'), 'v2', { dueAtMs: null });
        expect((await store.listDue(30, 1000)).filter((k) => k.provider === provider).map(plainKey)).toEqual([key('b')]);
      });
    });

    describe('lock', () => {
      if (options.requireLock) {
        it('is implemented', () => {
          expect(typeof store.lock).toBe('function');
        });
      }

      // The tests below only run for stores that implement `lock` (the in-memory store does not):
      // jest cannot skip a test from inside it, so they return early without assertions instead.
      // Pass `requireLock: true` so such a store cannot pass by omission.

      it('is exclusive: a second lock on the key times out with LOCK_TIMEOUT after waitMs', async () => {
        if (!store.lock) return;
        const key = newKey();
        const held = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        const started = Date.now();
        const err = await rejectionOf(store.lock(key, { ttlMs: 5000, waitMs: 200 }));
        const elapsed = Date.now() - started;
        await held.release();
        expect({ code: codeOf(err), waitedLongEnough: elapsed >= 180, gaveUpInTime: elapsed < 1500 })
          .toEqual({ code: 'LOCK_TIMEOUT', waitedLongEnough: true, gaveUpInTime: true });
      });

      it('rejects a ttlMs that is not positive and a negative waitMs with RangeError, taking nothing', async () => {
        if (!store.lock) return;
        const key = newKey();
        const refused = await Promise.all([{ ttlMs: 0, waitMs: 0 }, { ttlMs: Number.NaN, waitMs: 0 }, { ttlMs: 5000, waitMs: -1 }]
          .map((o) => rejectionOf(store.lock!(key, o))));
        expect(refused.map((err) => err instanceof RangeError)).toEqual([true, true, true]);
        // Nothing was taken: the lock is free at once.
        const held = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        await held.release();
      });

      it('names the record\'s kind and provider in LOCK_TIMEOUT, and the error carries the provider', async () => {
        if (!store.lock) return;
        const key = newKey();
        const held = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        const err = await rejectionOf(store.lock(key, { ttlMs: 5000, waitMs: 30 }));
        await held.release();
        expect(err).toBeInstanceOf(AuthManagerError);
        expect((err as AuthManagerError).message).toContain(`${key.kind} record for provider "${key.provider}"`);
        expect((err as AuthManagerError).provider).toBe(key.provider);
      });

      it('with waitMs 0 tries once and fails fast', async () => {
        if (!store.lock) return;
        const key = newKey();
        const held = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        const started = Date.now();
        const err = await rejectionOf(store.lock(key, { ttlMs: 5000, waitMs: 0 }));
        const elapsed = Date.now() - started;
        await held.release();
        expect({ code: codeOf(err), fast: elapsed < 500 }).toEqual({ code: 'LOCK_TIMEOUT', fast: true });
      });

      it('of many concurrent lock attempts exactly one succeeds', async () => {
        if (!store.lock) return;
        const lock = store.lock.bind(store);
        const key = newKey();
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => lock(key, { ttlMs: 5000, waitMs: 0 })));
        const held = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        const timeouts = outcomes.filter((o) => o.status === 'rejected' && AuthManagerError.is(o.reason, 'LOCK_TIMEOUT')).length;
        await Promise.all(held.map((h) => h.release()));
        expect({ held: held.length, timeouts }).toEqual({ held: 1, timeouts: 9 });
      });

      it('can be taken again right after release, with a new token', async () => {
        if (!store.lock) return;
        const key = newKey();
        const first = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        await first.release();
        const second = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        await second.release();
        expect({
          tokens: typeof first.token === 'string' && first.token.length >= 16,
          distinct: first.token !== second.token,
        }).toEqual({ tokens: true, distinct: true });
      });

      it('hands the lock to a waiter as soon as the owner releases it', async () => {
        if (!store.lock) return;
        const key = newKey();
        const held = await store.lock(key, { ttlMs: 10_000, waitMs: 0 });
        const started = Date.now();
        setTimeout(() => { void held.release(); }, 150);
        const next = await store.lock(key, { ttlMs: 5000, waitMs: 3000 });
        const elapsed = Date.now() - started;
        await next.release();
        expect({ afterRelease: elapsed >= 140, promptly: elapsed < 1500 }).toEqual({ afterRelease: true, promptly: true });
      });

      it('expires after ttlMs when the owner never releases it', async () => {
        if (!store.lock) return;
        const key = newKey();
        await store.lock(key, { ttlMs: 150, waitMs: 0 }); // the owner "dies": never released
        const started = Date.now();
        const next = await store.lock(key, { ttlMs: 5000, waitMs: 3000 });
        const elapsed = Date.now() - started;
        await next.release();
        expect({ waitedForExpiry: elapsed >= 100, notLonger: elapsed < 1500 }).toEqual({ waitedForExpiry: true, notLonger: true });
      });

      it('is released only by its owner: a late release after expiry leaves the new owner holding it', async () => {
        if (!store.lock) return;
        const key = newKey();
        const first = await store.lock(key, { ttlMs: 150, waitMs: 0 });
        await sleep(300);
        const second = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        await first.release(); // expired owner: must be a no-op
        const third = await rejectionOf(store.lock(key, { ttlMs: 5000, waitMs: 100 }));
        await second.release();
        const fourth = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        await fourth.release();
        expect({ third: codeOf(third), fourthToken: typeof fourth.token }).toEqual({ third: 'LOCK_TIMEOUT', fourthToken: 'string' });
      });

      it('release is idempotent', async () => {
        if (!store.lock) return;
        const key = newKey();
        const held = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        await held.release();
        await held.release();
        const again = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        await again.release();
        expect(typeof again.token).toBe('string');
      });

      it('locks keys independently: other subject, provider and kind are not blocked', async () => {
        if (!store.lock) return;
        const lock = store.lock.bind(store);
        const key = newKey('credentials');
        const held = await lock(key, { ttlMs: 5000, waitMs: 0 });
        const others = await Promise.allSettled([
          lock({ ...key, subject: `${key.subject}:x` }, { ttlMs: 5000, waitMs: 0 }),
          lock({ ...key, provider: `${key.provider}:x` }, { ttlMs: 5000, waitMs: 0 }),
          lock({ ...key, kind: 'pending' }, { ttlMs: 5000, waitMs: 0 }),
        ]);
        await held.release();
        await Promise.all(others.map((o) => (o.status === 'fulfilled' ? o.value.release() : undefined)));
        expect(others.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      });

      it('is not a record: a held lock is invisible to get and list and does not block writes', async () => {
        if (!store.lock) return;
        const key = newKey();
        const held = await store.lock(key, { ttlMs: 5000, waitMs: 0 });
        const read = await store.get(key);
        const listed = await collect(store.list({ kind: key.kind, provider: key.provider }));
        const written = await store.set(key, 'while-locked', { ifVersion: null });
        await held.release();
        const afterRelease = await store.get(key);
        expect({ read, listed, written: written.version, afterRelease: plain(afterRelease) }).toEqual({
          read: undefined, listed: [], written: 1, afterRelease: { value: 'while-locked', version: 1 },
        });
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

let counter = 0;

function uniqueName(label: string): string {
  counter += 1;
  return `${label}-${counter}-${randomBytes(6).toString('hex')}`;
}

/** A provider for the record-format tests: no flow needed, only a stored credential. */
function formatProvider() {
  return defineProvider({
    id: 'format',
    displayName: 'Format',
    appCredentials: { note: appField({ schema: z.string().optional(), description: 'unused' }) },
    oauth2: {
      server: () => ({ authorizationEndpoint: 'https://format.invalid/authorize', tokenEndpoint: 'https://format.invalid/token' }),
      clientAuthentication: 'none',
    },
  })();
}

function newKey(kind: RecordKind = 'credentials'): RecordKey {
  return { kind, provider: uniqueName('provider'), subject: uniqueName('subject') };
}

/** A string of `length` UTF-16 code units mixing ASCII, 2-, 3- and 4-byte UTF-8 characters. */
function largeValue(length: number): string {
  const pieces = ['abcdefghij', 'ß', '€', '😀', '{"k":"v"}', '\n'];
  let value = '';
  let i = 0;
  while (value.length < length) value += pieces[i++ % pieces.length] ?? '';
  value = value.slice(0, length);
  // Do not end on half of a surrogate pair.
  return /[\uD800-\uDBFF]$/.test(value) ? `${value.slice(0, -1)}x` : value;
}

function plain(record: { value: string; version: number } | undefined): { value: string; version: number } | undefined {
  return record === undefined ? undefined : { value: record.value, version: record.version };
}

function plainKey(key: RecordKey): RecordKey {
  return { kind: key.kind, provider: key.provider, subject: key.subject };
}

function sortKeys(keys: readonly RecordKey[]): RecordKey[] {
  return keys.map(plainKey).sort((a, b) =>
    `${a.kind}\u0000${a.provider}\u0000${a.subject}` < `${b.kind}\u0000${b.provider}\u0000${b.subject}` ? -1 : 1);
}

async function collect(keys: AsyncIterable<RecordKey>): Promise<RecordKey[]> {
  const out: RecordKey[] = [];
  for await (const key of keys) out.push(plainKey(key));
  return out;
}

/** The rejection reason of `promise`; a fulfilled promise becomes a `'<fulfilled>'` marker that fails the assertion. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return '<fulfilled>';
}

function codeOf(err: unknown): ErrorCode | string {
  if (AuthManagerError.is(err)) return err.code;
  return err === '<fulfilled>' ? '<fulfilled>' : `<not an AuthManagerError: ${String(err)}>`;
}
