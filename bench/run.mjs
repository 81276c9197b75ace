// `pnpm bench`: prints each figure the issues name, each beside its baseline measured in the same run.
// Figures are throughput (operations per second) or ratios; nothing here asserts: tests do that.
import { AuthManager, Credentials, MemoryCredentialStore } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider } from '@authmanager/testing';
import * as oauth from 'openid-client';
import { fileURLToPath } from 'node:url';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? (QUICK ? 300 : 1000));
const results = [];

function report(name, value, unit, extra = '') {
  results.push({ name, value, unit, extra });
  console.log(`${name.padEnd(58)} ${typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 3 }) : value} ${unit}${extra ? `  ${extra}` : ''}`);
}

/** Runs `fn` (async, awaited) in batches for DURATION_MS; returns operations per second. */
async function throughput(fn, batch = 1000) {
  for (let i = 0; i < batch * 20; i++) await fn(); // warm-up
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < DURATION_MS) {
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export async function benchCore() {
  console.log('# @authmanager/core (memory store), one process, one core busy');
  const auth = new AuthManager({ providers: [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })] });
  const creds = new Credentials({ accessToken: 'a'.repeat(64), refreshToken: 'r'.repeat(64), expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'] });
  await auth.storeCredentials('sandbox', 'bench-user', creds);

  // Baseline: an awaited Map lookup of the same record (the stored string).
  const map = new Map([['sandbox\u0000bench-user', (await auth.store.get({ kind: 'credentials', provider: 'sandbox', subject: 'bench-user' })).value]]);
  const lookup = async (k) => map.get(k);
  const mapOps = await throughput(() => lookup('sandbox\u0000bench-user'));
  report('baseline: awaited Map lookup', Math.round(mapOps), 'ops/s');

  const session = await auth.session('bench-user');
  const inSession = await throughput(() => session.accessToken('sandbox'));
  report('(a) session.accessToken() in one open session', Math.round(inSession), 'ops/s', `target >= 2,000,000; ${(inSession / mapOps).toFixed(2)}x Map`);

  const perRequest = await throughput(async () => {
    const s = await auth.session('bench-user');
    await s.accessToken('sandbox');
    await s[Symbol.asyncDispose]();
  });
  report('(b) open session + accessToken() + dispose', Math.round(perRequest), 'ops/s', `target >= 500,000; ${(perRequest / mapOps).toFixed(2)}x Map`);
}

export async function benchRefresh() {
  console.log('# refresh against the sandbox authorization server (oidc-provider on loopback)');
  const redirectUri = 'http://127.0.0.1:9/callback';
  const server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri], refreshTokenRotation: true });
  try {
    let now = Date.now();
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri })], now: () => now });
    const connect = async (subject) => {
      const { url } = await auth.sandbox.oauth2.authorize({ subject, params: { login_hint: subject } });
      return auth.sandbox.oauth2.complete({ callbackUrl: await followAuthorization(url, redirectUri) });
    };

    // (c) single-flight: 200 concurrent accessToken() on an expired credential.
    const { credentials } = await connect('storm-user');
    now = credentials.expiresAt.getTime() + 1000;
    server.resetCounts();
    const tokens = await Promise.all(Array.from({ length: 200 }, () => auth.withSession('storm-user', (s) => s.accessToken('sandbox'))));
    report('(c) token requests for 200 concurrent accessToken()', server.requestCount('token'), 'requests', `must be 1; ${new Set(tokens).size} distinct token(s) handed out`);
    now = Date.now();

    // (d) forced refresh through a session (store write included) vs openid-client refreshTokenGrant, interleaved.
    await connect('refresh-user');
    // The baseline does the same protocol work as a session: ID-token signature checks on (core
    // turns them on for OpenID Connect providers).
    const config = await oauth.discovery(new URL(server.issuer), server.clientId, server.clientSecret, oauth.ClientSecretBasic(server.clientSecret), { execute: [oauth.allowInsecureRequests, oauth.enableNonRepudiationChecks] });
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'raw-user', params: { login_hint: 'raw-user' } });
    let rawRefreshToken = (await auth.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, redirectUri) })).credentials.refreshToken;
    const ours = [];
    const theirs = [];
    const rounds = Number(process.env.BENCH_REFRESH_ROUNDS ?? (QUICK ? 40 : 150));
    for (let i = 0; i < rounds + 10; i++) {
      let t = performance.now();
      await auth.withSession('refresh-user', (s) => s.refresh('sandbox'));
      const a = performance.now() - t;
      t = performance.now();
      const r = await oauth.refreshTokenGrant(config, rawRefreshToken);
      const b = performance.now() - t;
      rawRefreshToken = r.refresh_token ?? rawRefreshToken;
      if (i >= 10) { ours.push(a); theirs.push(b); } // first 10 rounds warm up
    }
    report('    openid-client refreshTokenGrant, median', Number(median(theirs).toFixed(3)), 'ms');
    report('(d) forced refresh through a session, median', Number(median(ours).toFixed(3)), 'ms', `target <= 1.15x; ${(median(ours) / median(theirs)).toFixed(3)}x openid-client`);
  } finally {
    await server.close();
  }
}

// `node bench/run.mjs [core|refresh|redis|sql|stores|catalogue|core-paths] [--quick]` (--quick: fewer
// rounds and smaller sizes, for development; the figures the issues name come from the full run).
const only = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
const sections = {
  core: () => benchCore(),
  refresh: () => benchRefresh(),
  redis: async () => {
    const redis = await import('./redis.mjs').catch((err) => (err.code === 'ERR_MODULE_NOT_FOUND' ? undefined : Promise.reject(err)));
    if (redis) await redis.benchRedis(report);
  },
  sql: async () => (await import('./sql.mjs')).benchSql(report),
  stores: async () => (await import('./stores.mjs')).benchStores(),
  catalogue: async () => {
    const catalogue = await import('./catalogue.mjs');
    await catalogue.benchCatalogueImport();
    await catalogue.benchCatalogueManager();
  },
  'core-paths': async () => {
    const paths = await import('./core-paths.mjs');
    await paths.benchRefreshDue();
    await paths.benchTelemetryOverhead();
    await paths.benchInProcessStorm();
    await paths.benchColdStart();
  },
};
if (only !== undefined && !(only in sections)) throw new Error(`unknown section "${only}": one of ${Object.keys(sections).join(', ')}`);
if (only !== undefined) {
  await sections[only]();
  process.exit(0);
}
// The whole run: each section in a fresh process (same flags), one after the other, so no section
// measures on a heap the previous ones grew.
const { spawnSync } = await import('node:child_process');
const runStarted = performance.now();
const took = [];
for (const name of Object.keys(sections)) {
  const started = performance.now();
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (child.status !== 0) throw new Error(`bench section "${name}" failed (exit ${child.status ?? child.signal})`);
  took.push(`${name} ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`# bench took ${((performance.now() - runStarted) / 1000).toFixed(0)} s (${took.join(', ')})`);
process.exit(0);
