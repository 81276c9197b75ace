// The device authorization grant (RFC 8628) against the sandbox (oidc-provider's device flow).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, type DeviceAuthorizationPrompt } from '@authmanager/core';
import { startSandboxProvider, type SandboxProvider } from '../src/sandbox/sandboxServer.js';
import { sandbox } from '../src/sandbox/provider.js';
import { approveDeviceCode } from '../src/approveDeviceCode.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let server: SandboxProvider;
beforeAll(async () => { server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT] }); });
afterAll(async () => { await server.close(); });

function manager() {
  return new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })] });
}

describe('oauth2.deviceAuthorization', () => {
  it('prompts with a user code, polls until approved, and returns working credentials (with a refresh token for offline_access)', async () => {
    const auth = manager();
    const prompts: DeviceAuthorizationPrompt[] = [];
    const result = await auth.sandbox.oauth2.deviceAuthorization({
      subject: 'tv-1', scopes: ['openid', 'offline_access', 'api:read'],
      onPrompt: (prompt) => { prompts.push(prompt); void approveDeviceCode(prompt.verificationUriComplete!); },
    });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]!.userCode).toMatch(/\S{4,}/);
    expect(prompts[0]!.verificationUri).toBe(`${server.issuer}/device`);
    expect(prompts[0]!.expiresInSeconds).toBeGreaterThan(0);
    expect(result.subject).toBe('tv-1');
    expect(result.credentials.scopes).toEqual(expect.arrayContaining(['openid', 'api:read']));
    expect(result.credentials.refreshToken).toBeDefined();
    const me = await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${result.credentials.accessToken}` } });
    expect(me.status).toBe(200);
    await auth.storeCredentials('sandbox', 'tv-1', result);
    const refreshed = await auth.withSession('tv-1', (s) => s.refresh('sandbox'));
    expect(refreshed.accessToken).not.toBe(result.credentials.accessToken);
  });

  it('stops polling when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const pending = manager().sandbox.oauth2.deviceAuthorization({
      subject: 's', onPrompt: () => { setTimeout(() => controller.abort(new Error('gave up')), 100); }, signal: controller.signal,
    });
    await expect(pending).rejects.toThrow('gave up');
  });
});
