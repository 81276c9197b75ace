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
const heavy = () => resolved.filter((url) => /\\/node_modules\\/(jose\\/dist\\/webapi\\/index\\.js$|@octokit\\/)/.test(url)).length;
const { github } = await import('./dist/index.js');
const { AuthManager, Credentials } = await import('@authmanager/core');
const auth = new AuthManager({ providers: [github({ clientId: 'c', clientSecret: 's', redirectUri: 'https://app.example/cb' })], env: () => undefined });
await auth.storeCredentials('github', 'u', new Credentials({ accessToken: 'gho_' + 'a'.repeat(36) }));
const token = await auth.withSession('u', (s) => s.accessToken('github'));
const beforeControl = heavy();
await import('jose');
console.log(JSON.stringify({ token: token.length, beforeControl, afterControl: heavy() }));
`;

describe('cold start: what importing @authmanager/provider-github loads', () => {
  it('neither jose (GitHub App installation tokens) nor Octokit (client()) until they are used', () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout.trim())).toEqual({ token: 40, beforeControl: 0, afterControl: 1 });
  });
});
