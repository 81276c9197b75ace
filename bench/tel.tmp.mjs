import { AuthManager, Credentials } from '@authmanager/core';
import { sandbox } from '@authmanager/testing';
const make = (telemetry) => new AuthManager({ providers: [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })], telemetry });
const creds = new Credentials({ accessToken: 'a'.repeat(64), refreshToken: 'r'.repeat(64), expiresAt: new Date(Date.now() + 86_400_000) });
const sides = [];
for (const t of [true, false]) { const auth = make(t); await auth.storeCredentials('sandbox', 'u', creds); sides.push(auth); }
const per = async (auth) => { const n = 200000; const s = performance.now(); for (let i = 0; i < n; i++) await auth.withSession('u', (x) => x.accessToken('sandbox')); return (performance.now() - s) * 1000 / n; };
await per(sides[0]); await per(sides[1]);
const r = { on: [], off: [] };
for (let k = 0; k < 9; k++) { r.on.push(await per(sides[0])); r.off.push(await per(sides[1])); }
const med = (x) => x.sort((a, b) => a - b)[4];
console.log('on us', med(r.on).toFixed(3), 'off us', med(r.off).toFixed(3), 'ratio off/on', (med(r.off) / med(r.on)).toFixed(3));
