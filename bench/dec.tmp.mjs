import { Credentials, jsonCredentialCodec } from '@authmanager/core';
const vals = Array.from({length: 1024}, (_, i) => jsonCredentialCodec.encode(new Credentials({
  accessToken: `at-${i}-${'a'.repeat(56)}`, refreshToken: `rt-${i}-${'r'.repeat(56)}`,
  expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'],
}).with({ connection: { status: 'active', connectedAtMs: Date.now() } })));
const N = 1e6; let sink = 0;
for (let r = 0; r < 4; r++) {
  let t = performance.now(); for (let k = 0; k < N; k++) sink += JSON.parse(vals[k & 1023]).at.length; const a = performance.now() - t;
  t = performance.now(); for (let k = 0; k < N; k++) sink += jsonCredentialCodec.decode(vals[k & 1023]).tokenType.length; const b = performance.now() - t;
  console.log('parse', (a*1000/N).toFixed(2), 'decode', (b*1000/N).toFixed(2));
}
