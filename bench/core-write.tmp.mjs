import { AuthManager, Credentials, jsonCredentialCodec } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';
const providers = [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })];
const credsFor = (i) => new Credentials({
  accessToken: `at-${i}-${'a'.repeat(56)}`, refreshToken: `rt-${i}-${'r'.repeat(56)}`,
  expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'],
});
const pre = Array.from({length: 1024}, (_, i) => credsFor(i));
let v = 0;
const store = { async get() { return undefined; }, async set(key, value, opts) { return { value, version: ++v }; }, async delete() { return true; }, async *list() {} };
const auth = new AuthManager({ providers, store });
const N = Number(process.env.N ?? 200000);
for (let rep = 0; rep < 5; rep++) {
  const t = performance.now();
  for (let k = 0; k < N; k += 64) {
    await Promise.all(Array.from({ length: 64 }, (_, w) => auth.storeCredentials('sandbox', `user-${(k + w) % 10000}`, pre[(k + w) & 1023])));
  }
  console.log('us/write', ((performance.now() - t) * 1000 / N).toFixed(2));
}
const t = performance.now();
for (let k = 0; k < N; k++) jsonCredentialCodec.encode(pre[k & 1023]);
console.log('encode us', ((performance.now() - t) * 1000 / N).toFixed(2));
const t2 = performance.now();
for (let k = 0; k < N; k++) pre[k & 1023].with({ connection: { status: 'active', connectedAtMs: 1 } });
console.log('with us', ((performance.now() - t2) * 1000 / N).toFixed(2));
