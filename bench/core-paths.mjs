// Issue 10 figures for core's own paths: the in-process refresh storm and cold start. Each is printed
// beside a hand-rolled baseline measured in the same run, interleaved, as the median of the
// per-round ratios with the min–max spread. Run alone: `node --expose-gc bench/core-paths.mjs`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthManager, Credentials, MemoryCredentialStore } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider } from '@authmanager/testing';
import * as oauth from 'openid-client';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 3 : 5;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const line = (name, value, extra) => console.log(`${name.padEnd(58)} ${value}  ${extra}`);
const gc = globalThis.gc ?? (() => {});

/**
 * 10,000 concurrent callers on one expired credential, each opening its own session (as request
 * handlers do), against the same refresh through openid-client behind a hand-rolled single-flight
 * (`flight ??= refreshTokenGrant(...)`). Both refresh at the same sandbox server (rotation off).
 */
export async function benchInProcessStorm() {
  const CALLERS = 10_000;
  console.log(`# in-process refresh storm: ${CALLERS} concurrent callers, one expired credential (memory store)`);
  console.log('  baseline: openid-client refreshTokenGrant behind a hand-rolled single-flight promise, same server, same round');
  const redirectUri = 'http://127.0.0.1:9/callback';
  const server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri], refreshTokenRotation: false });
  try {
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri })] });
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'storm', params: { login_hint: 'storm' } });
    const { credentials } = await auth.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, redirectUri) });
    const config = await oauth.discovery(new URL(server.issuer), server.clientId, server.clientSecret, undefined, { execute: [oauth.allowInsecureRequests] });
    oauth.enableNonRepudiationChecks(config);

    // Time and heap are measured in separate runs: the heap figure needs a full GC right before the
    // storm, and a forced full GC also shrinks V8's young generation to its minimum, so a timed storm
    // right after one pays for promoting everything it allocates (a service under load runs with a
    // grown young generation). So the timed rounds come first, after warm-up storms that let the young
    // generation grow as it does in a busy process, and the heap rounds after them, for both sides.
    // A storm takes a few milliseconds, and a scavenge landing in one of them doubles it: the timed
    // rounds are three times the usual number.
    const ours = async (oneSession, { heap = false } = {}) => {
      await auth.storeCredentials('sandbox', 'storm', credentials.with({ expiresAt: new Date(Date.now() - 1000) }));
      if (heap) gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      const shared = oneSession ? auth.session('storm') : undefined;
      const all = Array.from({ length: CALLERS }, shared ? () => shared.accessToken('sandbox') : () => auth.withSession('storm', (s) => s.accessToken('sandbox')));
      const heapPerCaller = (process.memoryUsage().heapUsed - heapBefore) / CALLERS;
      const tokens = await Promise.all(all);
      return { ms: performance.now() - started, heapPerCaller, distinct: new Set(tokens).size };
    };
    const handRolled = async ({ heap = false } = {}) => {
      let flight;
      const token = () => (flight ??= oauth.refreshTokenGrant(config, credentials.refreshToken).then((r) => r.access_token));
      if (heap) gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      const all = Array.from({ length: CALLERS }, async () => token());
      const heapPerCaller = (process.memoryUsage().heapUsed - heapBefore) / CALLERS;
      const tokens = await Promise.all(all);
      return { ms: performance.now() - started, heapPerCaller, distinct: new Set(tokens).size };
    };
    for (let i = 0; i < (QUICK ? 10 : 20); i++) { await ours(false); await ours(true); await handRolled(); } // warm-up
    const before = server.requestCount('token:refresh_token');
    for (const [label, oneSession] of [['a session per caller (withSession)', false], ['one session, concurrent accessToken()', true]]) {
      const ratios = [], afterGcRatios = [], heapOurs = [], heapBase = [], msOurs = [], msBase = [];
      for (let round = 0; round < 3 * ROUNDS; round++) {
        const first = round % 2 === 0;
        const a = first ? await ours(oneSession) : undefined;
        const b = await handRolled();
        const a2 = a ?? await ours(oneSession);
        for (const r of [a2, b]) if (r.distinct !== 1) throw new Error('a storm round handed out more than one token');
        ratios.push(a2.ms / b.ms); msOurs.push(a2.ms); msBase.push(b.ms);
      }
      // The heap runs (and their times: a storm right after a forced full GC, for information).
      for (let round = 0; round < ROUNDS; round++) {
        const ha = await ours(oneSession, { heap: true });
        const hb = await handRolled({ heap: true });
        for (const r of [ha, hb]) if (r.distinct !== 1) throw new Error('a storm round handed out more than one token');
        afterGcRatios.push(ha.ms / hb.ms);
        heapOurs.push(ha.heapPerCaller); heapBase.push(hb.heapPerCaller);
      }
      line(`(10a) storm, ${label}: ours / hand-rolled`, `${median(ratios).toFixed(2)}x`,
        `spread ${spread(ratios)}; ours ${median(msOurs).toFixed(1)} ms, hand-rolled ${median(msBase).toFixed(1)} ms; target <= 1.5x`);
      line(`(10a) storm, ${label}: right after a forced full GC`, `${median(afterGcRatios).toFixed(2)}x`,
        `spread ${spread(afterGcRatios)}; information: the young generation at its minimum`);
      line(`(10a) storm, ${label}: heap per caller`, `${(median(heapOurs) / 1024).toFixed(2)} KB`,
        `spread ${(Math.min(...heapOurs) / 1024).toFixed(2)}–${(Math.max(...heapOurs) / 1024).toFixed(2)}; hand-rolled ${(median(heapBase) / 1024).toFixed(2)} KB; target <= 1.5 KB`);
    }
    const requests = server.requestCount('token:refresh_token') - before;
    const storms = 2 * (3 * ROUNDS + ROUNDS) * 2; // two modes; each round one storm of ours and one hand-rolled
    line('(10a) storm token requests', `${requests}`, `over ${storms} storms: must be ${storms}`);
  } finally {
    await server.close();
  }
}

/**
 * `session.accessToken()` in an open session with telemetry on but no SDK registered (the API's
 * no-op, the default) against the same manager built with `telemetry: false` (no instrumentation at
 * all), interleaved rounds in the same run.
 */
export async function benchTelemetryOverhead() {
  console.log('# OpenTelemetry without an SDK: accessToken() in an open session, default vs telemetry: false');
  const make = (telemetry) => new AuthManager({ providers: [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })], telemetry });
  const creds = new Credentials({ accessToken: 'a'.repeat(64), refreshToken: 'r'.repeat(64), expiresAt: new Date(Date.now() + 86_400_000) });
  const sides = [];
  for (const telemetry of [true, false]) {
    const auth = make(telemetry);
    await auth.storeCredentials('sandbox', 'u', creds);
    const session = auth.session('u');
    await session.accessToken('sandbox');
    sides.push({ auth, session });
  }
  const rate = async ({ session }) => {
    const n = QUICK ? 100_000 : 400_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) await session.accessToken('sandbox');
    return n / ((performance.now() - started) / 1000);
  };
  const perRequest = async ({ auth }) => {
    const n = QUICK ? 25_000 : 80_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) await auth.withSession('u', (s) => s.accessToken('sandbox'));
    return n / ((performance.now() - started) / 1000);
  };
  for (const [label, measure] of [['accessToken() in an open session', rate], ['withSession + accessToken()', perRequest]]) {
    await measure(sides[0]); await measure(sides[1]); // warm-up
    const ratios = [];
    let on = 0, off = 0;
    // Short rounds, many of them: a GC pause or a JIT tier-up lands in one round, not in the median.
    for (let round = 0; round < 3 * ROUNDS; round++) {
      if (round % 2 === 0) { on = await measure(sides[0]); off = await measure(sides[1]); }
      else { off = await measure(sides[1]); on = await measure(sides[0]); }
      ratios.push(on / off);
    }
    line(`(9) ${label}: no-SDK telemetry / telemetry: false`, `${median(ratios).toFixed(3)}x`,
      `spread ${spread(ratios)}; last round ${Math.round(on).toLocaleString('en-US')} vs ${Math.round(off).toLocaleString('en-US')} ops/s; target >= 0.95x`);
  }
}

/** Counts every store call a run makes (the instrumented object forwards to the real store). */
function countingStore(inner) {
  const counts = { total: 0 };
  const wrap = (name) => (...args) => { counts.total++; counts[name] = (counts[name] ?? 0) + 1; return inner[name](...args); };
  const store = {
    get: wrap('get'), set: wrap('set'), delete: wrap('delete'), take: wrap('take'), list: (f) => inner.list(f),
    ...(inner.lock ? { lock: wrap('lock') } : {}), ...(inner.listDue ? { listDue: wrap('listDue') } : {}),
    close: () => inner.close?.(),
  };
  return { store, counts };
}

/**
 * `auth.refreshDue()` over 100,000 stored credentials of which 1% are due: its time, and store calls
 * per due credential, on the memory store and on Redis. The refreshes go to the sandbox (rotation
 * off), so the time includes 1,000 real token requests; the time to *find* them is printed apart
 * (one `listDue` call).
 */
export async function benchRefreshDue() {
  const TOTAL = QUICK ? 20_000 : 100_000;
  const DUE = TOTAL / 100;
  console.log(`# proactive refresh: refreshDue over ${TOTAL.toLocaleString('en-US')} credentials, ${DUE.toLocaleString('en-US')} due`);
  const redirectUri = 'http://127.0.0.1:9/callback';
  const server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri], refreshTokenRotation: false });
  const { RedisCredentialStore } = await import('@authmanager/store-redis');
  const { startRedisServer } = await import('@authmanager/testing');
  const redis = await startRedisServer();
  try {
    const probe = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri })] });
    const { url } = await probe.sandbox.oauth2.authorize({ subject: 'due', params: { login_hint: 'due' } });
    const { credentials } = await probe.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, redirectUri) });
    for (const [label, inner] of [['memory', new MemoryCredentialStore()], ['Redis', new RedisCredentialStore({ redis: redis.url })]]) {
      const { store, counts } = countingStore(inner);
      // Every subject is new, so the fill skips the account-mismatch read (not what is measured).
      const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri })], store, telemetry: false, onAccountMismatch: 'replace' });
      const now = Date.now();
      const writes = [];
      for (let i = 0; i < TOTAL; i++) {
        const soon = i % 100 === 0;
        writes.push(auth.storeCredentials('sandbox', `u-${i}`, credentials.with({ expiresAt: new Date(now + (soon ? 60_000 : 36_000_000)), obtainedAt: new Date(now) })));
        if (writes.length >= 512) await Promise.all(writes.splice(0));
      }
      await Promise.all(writes);
      let started = performance.now();
      const listed = await store.listDue(Date.now() + 300_000, TOTAL);
      const findMs = performance.now() - started;
      for (const k of Object.keys(counts)) counts[k] = 0;
      started = performance.now();
      const result = await auth.refreshDue({ withinSeconds: 300, limit: TOTAL, concurrency: 8 });
      const runMs = performance.now() - started;
      if (result.refreshed !== DUE || listed.length !== DUE) throw new Error(`refreshDue on ${label}: ${JSON.stringify(result)} listed ${listed.length}`);
      const perDue = Object.entries(counts).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${(v / DUE).toFixed(2)}`).join(', ');
      line(`(9) refreshDue on ${label}: finding the due ones (listDue)`, `${findMs.toFixed(1)} ms`, `${DUE} of ${TOTAL.toLocaleString('en-US')}`);
      line(`(9) refreshDue on ${label}: whole run`, `${runMs.toFixed(0)} ms`, `${result.refreshed} refreshed (real token requests, concurrency 8)`);
      line(`(9) refreshDue on ${label}: store calls per due credential`, (counts.total / DUE).toFixed(2), perDue);
      await auth.close();
    }
  } finally {
    await redis.stop();
    await server.close();
  }
}

// Cold-start scripts run where core's own dependencies resolve (openid-client, inversify, zod).
const coreDir = fileURLToPath(new URL('../packages/core/', import.meta.url));
const pkg = (name) => new URL(`../packages/${name}/dist/index.js`, import.meta.url).href;

// Peak RSS of this process image, kB: VmHWM, which exec resets (getrusage's maxRSS does not: on Linux
// it carries the forked parent's peak into the child, so a large bench parent would show in every run).
const PEAK = `(() => Number(/VmHWM:\\s+(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]))`;
const withPeak = (script) => `const require = (await import('node:module')).createRequire(import.meta.url); const PEAK = ${PEAK};\n${script}`;

/** The scripts a fresh process runs; each prints its own peak RSS. */
const COLD = {
  bare: 'console.log(JSON.stringify({ rss: PEAK() }));',
  'openid-client only': `
    const oauth = await import('openid-client');
    const configs = ['notion', 'github', 'google', 'salesforce'].map((id) => new oauth.Configuration(
      { issuer: 'https://' + id + '.example', authorization_endpoint: 'https://' + id + '.example/authorize', token_endpoint: 'https://' + id + '.example/token' },
      id + '-client', id + '-secret'));
    const tokens = new Map([['notion:user-1', { access_token: 'a'.repeat(40), expires_at: Date.now() + 3600e3 }]]);
    const t = tokens.get('notion:user-1');
    if (!(t.expires_at > Date.now()) || configs.length !== 4) throw new Error('unexpected');
    console.log(JSON.stringify({ rss: PEAK() }));`,
  'inversify only': `await import('inversify'); console.log(JSON.stringify({ rss: PEAK() }));`,
  'zod only': `await import('zod'); console.log(JSON.stringify({ rss: PEAK() }));`,
  '@opentelemetry/api only': `await import('@opentelemetry/api'); console.log(JSON.stringify({ rss: PEAK() }));`,
  authmanager: `
    const { AuthManager, Credentials } = await import('${pkg('core')}');
    const { notion } = await import('${pkg('provider-notion')}');
    const { github } = await import('${pkg('provider-github')}');
    const { google } = await import('${pkg('provider-google')}');
    const { salesforce } = await import('${pkg('provider-salesforce')}');
    const app = { clientId: 'client', clientSecret: 'secret', redirectUri: 'https://app.example/cb' };
    const auth = new AuthManager({ providers: [notion(app), github(app), google(app), salesforce(app)], env: () => undefined });
    await auth.storeCredentials('notion', 'user-1', new Credentials({ accessToken: 'a'.repeat(40), expiresAt: new Date(Date.now() + 3600e3) }));
    await auth.withSession('user-1', (s) => s.accessToken('notion'));
    console.log(JSON.stringify({ rss: PEAK() }));`,
};

function runCold(script, extraEnv = {}) {
  const started = performance.now();
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', withPeak(script)], { cwd: coreDir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...extraEnv } });
  const ms = performance.now() - started;
  if (out.status !== 0) throw new Error(`cold-start script failed: ${out.stderr.slice(0, 500)}`);
  return { ms, rssKb: JSON.parse(out.stdout.trim().split('\n').pop()).rss };
}

/**
 * Whole-process cold start: import, `new AuthManager` with the four first-party providers and the
 * first `accessToken()`, against a hand-rolled openid-client setup of the same four clients, each in a
 * fresh `node` process, interleaved. Also shows the floor that inversify and zod set alone.
 */
export async function benchColdStart() {
  console.log('# cold start: whole-process wall time and max RSS, fresh node process per run');
  console.log('  baseline: a process importing openid-client, configuring the same 4 clients, reading a token from a Map');
  const names = Object.keys(COLD);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const n of order) runs[n].push(runCold(COLD[n]));
  }
  const ms = (n) => runs[n].map((r) => r.ms);
  const rss = (n) => runs[n].map((r) => r.rssKb);
  const base = median(ms('openid-client only'));
  for (const n of names) {
    line(`(10g) cold start: ${n}`, `${median(ms(n)).toFixed(0)} ms`, `spread ${Math.min(...ms(n)).toFixed(0)}–${Math.max(...ms(n)).toFixed(0)} ms; max RSS ${(median(rss(n)) / 1024).toFixed(1)} MiB`);
  }
  const ratios = runs.authmanager.map((r, i) => r.ms / runs['openid-client only'][i].ms);
  const rssRatios = runs.authmanager.map((r, i) => r.rssKb / runs['openid-client only'][i].rssKb);
  line('(10g) cold start authmanager / openid-client only', `${median(ratios).toFixed(2)}x`, `spread ${spread(ratios)}; target <= 1.5x`);
  line('(10g) cold start RSS authmanager / openid-client only', `${median(rssRatios).toFixed(2)}x`, `spread ${spread(rssRatios)}; target <= 1.2x`);
  // What the three libraries core loads at import cost alone, each above bare node (inversify and
  // @inversifyjs/* are ~240 ES modules, zod ~95, @opentelemetry/api ~50; core itself ~40).
  const above = (n) => median(ms(n)) - median(ms('bare'));
  const floor = (median(ms('bare')) + above('inversify only') + above('zod only') + above('@opentelemetry/api only')) / base;
  line('(10g) floor: inversify + zod + @opentelemetry/api alone / openid-client only', `${floor.toFixed(2)}x`, 'what loading the registry, schema and telemetry libraries costs before any of our code');
  const inversifyRatios = runs['inversify only'].map((r, i) => r.ms / runs['openid-client only'][i].ms);
  line('(10g) floor: inversify alone / openid-client only', `${median(inversifyRatios).toFixed(2)}x`,
    `spread ${spread(inversifyRatios)}; the registry library alone (import only), against the 1.5x target`);
  const rssFloor = median(rss('inversify only')) / median(rss('openid-client only'));
  line('(10g) RSS floor: inversify alone / openid-client only', `${rssFloor.toFixed(2)}x`, 'the registry library alone, against the 1.2x target');

  // Node's on-disk compile cache (NODE_COMPILE_CACHE, module.enableCompileCache()), for both sides
  // alike, primed by one run each: what a serverless image or CLI that ships the cache gets.
  const cacheDir = mkdtempSync(join(tmpdir(), 'authmanager-compile-cache-'));
  try {
    const env = { NODE_COMPILE_CACHE: cacheDir };
    runCold(COLD['openid-client only'], env); runCold(COLD.authmanager, env);
    const cached = { 'openid-client only': [], authmanager: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of round % 2 === 0 ? ['openid-client only', 'authmanager'] : ['authmanager', 'openid-client only']) cached[n].push(runCold(COLD[n], env).ms);
    }
    const cachedRatios = cached.authmanager.map((v, i) => v / cached['openid-client only'][i]);
    line('(10g) cold start with a primed compile cache (both sides)', `${median(cachedRatios).toFixed(2)}x`,
      `spread ${spread(cachedRatios)}; authmanager ${median(cached.authmanager).toFixed(0)} ms, openid-client only ${median(cached['openid-client only']).toFixed(0)} ms; information`);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchRefreshDue();
  await benchTelemetryOverhead();
  await benchInProcessStorm();
  await benchColdStart();
}
