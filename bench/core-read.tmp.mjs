import { AuthManager, Credentials, jsonCredentialCodec } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';
const providers = [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })];
const M = 100000;
const vals = Array.from({length: M}, (_, i) => jsonCredentialCodec.encode(new Credentials({
  accessToken: `at-${i}-${'a'.repeat(56)}`, refreshToken: `rt-${i}-${'r'.repeat(56)}`,
  expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'],
}).with({ connection: { status: 'active', connectedAtMs: Date.now() } })));
const store = { get(key) { const i = Number(key.subject.slice(5)); return Promise.resolve({ value: vals[i].slice(0), version: 1 }); }, async set() { throw new Error('x'); }, async delete() { return true; }, async *list() {} };
const auth = new AuthManager({ providers, store });
const idx = Uint32Array.from({ length: 1 << 16 }, () => Math.floor(Math.random() * M));
const subjects = Array.from({length: M}, (_, i) => `user-${i}`);
const N = 200000;
const ops = process.env.ONLY ? { session: (i) => auth.withSession(subjects[i], (s) => s.accessToken('sandbox')) } : {
  parse: async (i) => JSON.parse((await store.get({subject: subjects[i]})).value).at,
  session: (i) => auth.withSession(subjects[i], (s) => s.accessToken('sandbox')),
};
const res = Object.fromEntries(Object.keys(ops).map(k => [k, []]));
for (let r = 0; r < 7; r++) for (const m of Object.keys(ops)) {
  const op = ops[m];
  const t = performance.now();
  for (let k = 0; k < N; k += 64) await Promise.all(Array.from({ length: 64 }, (_, w) => op(idx[(k + w) & 0xffff])));
  res[m].push((performance.now() - t) * 1000 / N);
}
for (const m of Object.keys(res)) console.log(m, 'min us/op', Math.min(...res[m]).toFixed(2), 'median', res[m].sort((a,b)=>a-b)[3].toFixed(2));
