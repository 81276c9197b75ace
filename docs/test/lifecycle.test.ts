import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthManager } from '@authmanager/core';
import { followAuthorization, sandbox, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { apiCall, callback, cron, disconnectRoute, settings, webhooks, worker } from '../snippets/lifecycle.js';
import { Credentials } from '@authmanager/core';

const REDIRECT = 'http://127.0.0.1:9/callback';
let server: SandboxProvider;
let hooks: Server;
let hookUrl: string;
const received: Array<{ body: string; signature: string | undefined }> = [];
beforeAll(async () => {
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT] });
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += String(d); });
    req.on('end', () => { received.push({ body, signature: req.headers['x-signature-sha256'] as string | undefined }); res.end(); });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => { await server.close(); await new Promise((r) => hooks.close(r)); });

describe('docs/lifecycle.md snippets', () => {
  it('complete, list, fail fast with a signed webhook, reconnect, disconnect', async () => {
    let now = Date.now();
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], now: () => now });
    const stop = webhooks(auth, hookUrl, 'hook-secret');
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'doc-user', params: { login_hint: 'doc-user' } });
    expect(await callback(auth, (await followAuthorization(url, REDIRECT)).href)).toMatchObject({ provider: 'sandbox', subject: 'doc-user', account: { id: 'doc-user' } });
    expect(await settings(auth, 'doc-user')).toEqual([expect.objectContaining({ provider: 'sandbox', account: 'doc-user', status: 'active', reconnect: false })]);

    // The grant dies at the server, and two hours later the 1 h access token needs a refresh.
    await server.revokeGrantsFor('doc-user');
    now += 2 * 3600_000;
    expect(await apiCall(auth, 'doc-user')).toBe('reconnect');
    expect(await apiCall(auth, 'doc-user')).toBe('reconnect');
    expect(await settings(auth, 'doc-user')).toEqual([expect.objectContaining({ status: 'reauthorization_required', reconnect: true })]);
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    const event = JSON.parse(received[0]!.body) as Record<string, unknown>;
    expect(event).toMatchObject({ type: 'reauthorizationRequired', provider: 'sandbox', subject: 'doc-user', code: 'REAUTHORIZATION_REQUIRED' });
    expect(received[0]!.signature).toBe(createHmac('sha256', 'hook-secret').update(received[0]!.body).digest('hex'));

    expect(await disconnectRoute(auth, 'doc-user')).toMatchObject({ existed: true });
    expect(await settings(auth, 'doc-user')).toEqual([]);
    stop();
  });

  it('refreshDue and startRefresher refresh what is due ahead of time', async () => {
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })] });
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'cron-user', params: { login_hint: 'cron-user' } });
    const { credentials } = await auth.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, REDIRECT) });
    await auth.storeCredentials('sandbox', 'cron-user', credentials.with({ expiresAt: new Date(Date.now() + 60_000) }));
    expect(await cron(auth)).toEqual({ due: 1, refreshed: 1, failed: [] });
    expect((await auth.loadCredentials('sandbox', 'cron-user'))!.accessToken).not.toBe(credentials.accessToken);
    await auth.storeCredentials('sandbox', 'cron-user', (await auth.loadCredentials('sandbox', 'cron-user') as Credentials<object>).with({ expiresAt: new Date(Date.now() + 60_000) }));
    const before = (await auth.loadCredentials('sandbox', 'cron-user'))!.accessToken;
    await worker(auth).stop();
    expect((await auth.loadCredentials('sandbox', 'cron-user'))!.accessToken).not.toBe(before);
  });
});
