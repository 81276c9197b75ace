// Per-tenant URL templates: a tenant value must never move a token request to another host (the
// class of Nango's SSRF advisories on interpolated token URLs).
import { describe, expect, it } from '@jest/globals';
import { AuthManagerError } from '../src/AuthManagerError.js';
import { fillUrlTemplate, templateOriginPattern } from '../src/UrlTemplate.js';
import type { UrlVariable } from '../src/ProviderDefinition.js';

const ZENDESK = 'https://{subdomain}.zendesk.com/oauth/tokens';
const vars: Record<string, UrlVariable> = {
  subdomain: { from: 'connection', description: 'Zendesk subdomain' },
  domain: { from: 'connection', description: 'Okta domain', pattern: '[a-z0-9.-]+' },
  realm: { from: 'app', description: 'Keycloak realm', pattern: '[A-Za-z0-9_-]+' },
};

function problem(fn: () => unknown): string | undefined {
  try { fn(); return undefined; } catch (err) {
    expect(AuthManagerError.is(err)).toBe(true);
    return (err as AuthManagerError).code;
  }
}

describe('fillUrlTemplate', () => {
  it('fills a leading host label and keeps the path', () => {
    expect(fillUrlTemplate('zendesk', ZENDESK, { subdomain: 'acme' }, vars)).toBe('https://acme.zendesk.com/oauth/tokens');
  });

  it.each([
    ['a dot (another domain)', 'evil.com#'],
    ['a slash', 'evil.com/x'],
    ['userinfo', 'x@evil.com'],
    ['a port', 'acme:8443'],
    ['percent-encoding', 'acme%2eevil'],
    ['a backslash', 'evil.com\\'],
    ['a non-ASCII label', 'аcme'],
    ['an empty value', ''],
    ['a leading hyphen', '-acme'],
    ['a label over 63 characters', 'a'.repeat(64)],
  ])('refuses a subdomain with %s, with CONFIGURATION and without echoing the value', (_what, value) => {
    let message = '';
    try { fillUrlTemplate('zendesk', ZENDESK, { subdomain: value }, vars); } catch (err) { message = (err as Error).message; expect((err as AuthManagerError).code).toBe('CONFIGURATION'); }
    expect(message).not.toBe('');
    if (value.length > 3) expect(message).not.toContain(value);
  });

  it('refuses a missing value and an undeclared variable', () => {
    expect(problem(() => fillUrlTemplate('zendesk', ZENDESK, {}, vars))).toBe('CONFIGURATION');
    expect(problem(() => fillUrlTemplate('x', 'https://{tenant}.x.example/t', { tenant: 'a' }, vars))).toBe('CONFIGURATION');
  });

  it('bounds a whole-host variable by the declared hosts', () => {
    const hosts = ['https://*.okta.com', 'https://*.oktapreview.com'];
    expect(fillUrlTemplate('okta', 'https://{domain}/oauth2/v1/token', { domain: 'dev-1.okta.com' }, vars, hosts)).toBe('https://dev-1.okta.com/oauth2/v1/token');
    // The pattern lets dots through; the host list is what stops another domain.
    expect(problem(() => fillUrlTemplate('okta', 'https://{domain}/oauth2/v1/token', { domain: 'okta.com.evil.net' }, vars, hosts))).toBe('CONFIGURATION');
  });

  it('refuses a connection value in an unbounded host position (no declared hosts)', () => {
    expect(problem(() => fillUrlTemplate('okta', 'https://{domain}/oauth2/v1/token', { domain: 'dev-1.okta.com' }, vars))).toBe('CONFIGURATION');
  });

  it('lets an app value sit anywhere in the host (the application configured it)', () => {
    const appVars: Record<string, UrlVariable> = { host: { from: 'app', description: 'host', pattern: '[a-z0-9.:-]+' }, realm: vars.realm! };
    expect(fillUrlTemplate('keycloak', 'https://{host}/realms/{realm}', { host: 'sso.corp.example', realm: 'main' }, appVars)).toBe('https://sso.corp.example/realms/main');
  });

  it('derives the origin pattern from the template', () => {
    expect(templateOriginPattern(ZENDESK)).toBe('https://*.zendesk.com');
    expect(templateOriginPattern('http://127.0.0.1:4000/{subdomain}/oauth')).toBe('http://127.0.0.1:4000');
    expect(templateOriginPattern('https://{domain}/x')).toBeUndefined();
  });
});
