import { AuthManager, Credentials, jsonCredentialCodec } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { sandbox, startRedisServer } from '@authmanager/testing';
const redis = await startRedisServer();
const providers = [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })];
const credsFor = (i) => new Credentials({
  accessToken: `at-${i}-${'a'.repeat(56)}`, refreshToken: `rt-${i}-${'r'.repeat(56)}`,
  expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'],
});
const pre = Array.from({length: 1024}, (_, i) => credsFor(i));
const auth = new AuthManager({ providers, store: new RedisCredentialStore({ redis: redis.url, keyPrefix: 'am:' }) });
const mode = process.argv[2] ?? 'sc';
const store = new RedisCredentialStore({ redis: redis.url, keyPrefix: 'am:' });
const value = jsonCredentialCodec.encode(pre[0]);
const { Redis: R } = await import('ioredis'); const raw = new R(redis.url, { maxRetriesPerRequest: 2, connectTimeout: 2000, enableAutoPipelining: true });
async function run(ms) {
  let ops = 0, stop = false; const start = performance.now();
  setTimeout(() => { stop = true; }, ms);
  await Promise.all(Array.from({ length: 64 }, async (_, w) => {
    for (let k = w; !stop; k += 64) {
      const i = (k * 7919) % 10000;
      if (mode === 'sc') await auth.storeCredentials('sandbox', `user-${i}`, pre[i & 1023]);
      else if (mode === 'raw') await raw.set(`raw:{sandbox:user-${i}}`, value); else await store.set({ kind: 'credentials', provider: 'sandbox', subject: `user-${i}` }, value);
      ops++; }
  }));
  return ops * 1000 / (performance.now() - start);
}
await run(500);
const { Redis } = await import("ioredis"); const r = new Redis(redis.url); await r.config("RESETSTAT");
const cpu0 = process.cpuUsage(); const t0=performance.now(); const rate = await run(Number(process.env.MS ?? 3000)); const cpu = process.cpuUsage(cpu0); const ops = rate*(performance.now()-t0)/1000;
console.log(mode, Math.round(rate), 'node cpu us/op', ((cpu.user+cpu.system)/ops).toFixed(1));
console.log((await r.info("commandstats")).split("\n").filter(l=>l.includes("calls")).join("\n")); console.log((await r.info("cpu"))); r.disconnect();
raw.disconnect(); await auth.close(); await store.close(); await redis.stop();
