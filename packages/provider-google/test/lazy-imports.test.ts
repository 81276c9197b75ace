import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// A fresh process (the built package, as users import it) that records every module it resolves,
// connects nothing, reads a token through a session, then imports jose itself (the control: the
// recording sees it).
const SCRIPT = `
import { registerHooks } from 'node:module';
const resolved = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); resolved.push(r.url); return r; } });
// openid-client loads a few of jose's modules itself; the package entry (all of jose) is the cost.
const heavy = () => resolved.filter((url) => /\\/node_modules\\/(jose\\/dist\\/webapi\\/index\\.js$|google-auth-library\\/)/.test(url)).length;
const { google } = await import('./dist/index.js');
const { AuthManager, Credentials } = await import('@authmanager/core');
const auth = new AuthManager({ providers: [google({ clientId: 'c', clientSecret: 's', redirectUri: 'https://app.example/cb' })], env: () => undefined });
await auth.storeCredentials('google', 'u', new Credentials({ accessToken: 'ya29.' + 'a'.repeat(36) }));
const token = await auth.withSession('u', (s) => s.accessToken('google'));
const beforeControl = heavy();
await import('jose');
console.log(JSON.stringify({ token: token.length, beforeControl, afterControl: heavy() }));
`;

describe('cold start: what importing @authmanager/provider-google loads', () => {
  it('neither jose (service-account tokens) nor google-auth-library (client()) until they are used', () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout.trim())).toEqual({ token: 41, beforeControl: 0, afterControl: 1 });
  });
});
