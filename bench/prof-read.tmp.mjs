import { AuthManager, Credentials, jsonCredentialCodec } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { sandbox, startRedisServer } from '@authmanager/testing';
import { Redis } from 'ioredis';
const redis = await startRedisServer();
const providers = [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })];
const credsFor = (i) => new Credentials({
  accessToken: `at-${i}-${'a'.repeat(56)}`, refreshToken: `rt-${i}-${'r'.repeat(56)}`,
  expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'],
});
const N = 100000;
const store = new RedisCredentialStore({ redis: redis.url, keyPrefix: 'am:' });
const auth = new AuthManager({ providers, store });
const raw = new Redis(redis.url, { maxRetriesPerRequest: 2, connectTimeout: 2000, enableAutoPipelining: true });
for (let k = 0; k < N; k += 256) await Promise.all(Array.from({ length: 256 }, (_, j) => { const i = k + j; const v = jsonCredentialCodec.encode(credsFor(i)); return Promise.all([auth.storeCredentials('sandbox', `user-${i}`, credsFor(i)), raw.set(`raw:{sandbox:user-${i}}`, v)]); }));
const idx = Uint32Array.from({ length: 1 << 16 }, () => Math.floor(Math.random() * N));
const mode = process.argv[2] ?? 'session';
const key = (i) => ({ kind: 'credentials', provider: 'sandbox', subject: `user-${i}` });
const ops = {
  session: (i) => auth.withSession(`user-${i}`, (s) => s.accessToken('sandbox')),
  raw: async (i) => JSON.parse(await raw.get(`raw:{sandbox:user-${i}}`)).at,
  store: (i) => store.get(key(i)),
  rawget: (i) => raw.get(`raw:{sandbox:user-${i}}`),
};
async function run(op, ms) {
  let n = 0, stop = false; const start = performance.now();
  setTimeout(() => { stop = true; }, ms);
  await Promise.all(Array.from({ length: 64 }, async (_, w) => { for (let k = w; !stop; k += 64) { await op(idx[k & 0xffff]); n++; } }));
  return n * 1000 / (performance.now() - start);
}
const modes = process.argv.slice(2);
for (const m of modes) await run(ops[m], 500);
if (process.env.PROF) { const { Session } = await import('node:inspector/promises'); globalThis.__s = new Session(); globalThis.__s.connect(); await globalThis.__s.post('Profiler.enable'); await globalThis.__s.post('Profiler.start'); }
for (let r = 0; r < 3; r++) for (const m of modes) { const c0 = process.cpuUsage(); const t0 = performance.now(); const rate = await run(ops[m], Number(process.env.MS ?? 1000)); const c = process.cpuUsage(c0); const n = rate * (performance.now() - t0) / 1000; console.log(m.padEnd(8), Math.round(rate), 'cpu us/op', ((c.user + c.system) / n).toFixed(1)); }
if (process.env.PROF) { const { profile } = await globalThis.__s.post('Profiler.stop'); (await import('node:fs')).writeFileSync('/tmp/prof/read.cpuprofile', JSON.stringify(profile)); }
raw.disconnect(); await auth.close(); await store.close(); await redis.stop();
