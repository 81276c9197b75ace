import { Credentials, jsonCredentialCodec } from '@authmanager/core';
const pre = Array.from({length: 1024}, (_, i) => new Credentials({
  accessToken: `at-${i}-${'a'.repeat(56)}`, refreshToken: `rt-${i}-${'r'.repeat(56)}`,
  expiresAt: new Date(Date.now() + 86_400_000), scopes: ['openid', 'api:read'],
}).with({ connection: { status: 'active', connectedAtMs: Date.now() } }));
const num = (n) => (Number.isFinite(n) ? String(n) : 'null');
function enc2(c) {
  const state = c.connection;
  const rx = c.refreshTokenExpiresAt;
  let json = `{"v":${state !== undefined || rx !== undefined ? 2 : 1},"at":${JSON.stringify(c.accessToken)},"tt":${JSON.stringify(c.tokenType)}`;
  if (c.refreshToken !== undefined) json += `,"rt":${JSON.stringify(c.refreshToken)}`;
  if (c.scopes !== undefined) json += `,"sc":${JSON.stringify(c.scopes)}`;
  if (c.expiresAtMs !== undefined) json += `,"exp":${num(c.expiresAtMs)}`;
  if (c.idToken !== undefined) json += `,"id":${JSON.stringify(c.idToken)}`;
  json += `,"iat":${num(c.obtainedAtMs)},"x":${JSON.stringify(c.extras)},"raw":${JSON.stringify(c.raw)}`;
  if (rx !== undefined) json += `,"rx":${num(rx.getTime())}`;
  if (state !== undefined) {
    json += `,"cs":{"st":${JSON.stringify(state.status)}`;
    if (state.lastErrorCode !== undefined) json += `,"ec":${JSON.stringify(state.lastErrorCode)}`;
    if (state.connectedAtMs !== undefined) json += `,"ca":${num(state.connectedAtMs)}`;
    if (state.lastRefreshedAtMs !== undefined) json += `,"lr":${num(state.lastRefreshedAtMs)}`;
    if (state.failureCount !== undefined) json += `,"fc":${num(state.failureCount)}`;
    if (state.retryAtMs !== undefined) json += `,"ra":${num(state.retryAtMs)}`;
    json += '}';
  }
  return json + '}';
}
console.log(enc2(pre[0]) === jsonCredentialCodec.encode(pre[0]), enc2(pre[0]));
const N = 1e6; let sink = 0;
for (let r = 0; r < 4; r++) {
  let t = performance.now(); for (let k = 0; k < N; k++) sink += jsonCredentialCodec.encode(pre[k & 1023]).length; const a = performance.now() - t;
  t = performance.now(); for (let k = 0; k < N; k++) sink += enc2(pre[k & 1023]).length; const b = performance.now() - t;
  t = performance.now(); for (let k = 0; k < N; k++) sink += pre[k & 1023].with({ connection: { status: 'active', connectedAtMs: 5 } }).tokenType.length; const c = performance.now() - t;
  console.log('encode', (a*1000/N).toFixed(2), 'enc2', (b*1000/N).toFixed(2), 'with', (c*1000/N).toFixed(2));
}
