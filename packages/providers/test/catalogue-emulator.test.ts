// Every catalogue entry, end to end against an emulator built from its own definition: connect →
// API call → refresh → revoke, plus what the real provider would refuse (the other way of client
// authentication, the other body format, a call without the credential).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, envFrom, type AnyProviderDefinition, type ProviderFactory } from '@authmanager/core';
import { connect, expectRejection, lastRequest, managerFor, startProviderEmulator, type EmulatorRequest, type ProviderEmulator } from '@authmanager/testing/providers';
import { catalogue } from '../src/index.js';

type Factory = ProviderFactory<AnyProviderDefinition>;
const all = [...catalogue] as unknown as Factory[];
const oauth = all.filter((f) => f.definition.oauth2 !== undefined);
const keys = all.filter((f) => f.definition.oauth2 === undefined);

/** Headers a client cannot (or should not) replay with fetch. */
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

/**
 * Sends a request the emulator recorded once more, as it was (method, path, headers, body), minus
 * the credential when told: so an assertion about it isolates one difference.
 */
async function replay(emu: ProviderEmulator, sent: EmulatorRequest, withoutCredential = false): Promise<Response> {
  const placement = emu.definition.api?.credentialPlacement;
  const url = new URL(sent.path, emu.origin);
  const credentialHeader = placement?.in === 'query' ? undefined : (placement?.name ?? 'authorization').toLowerCase();
  if (withoutCredential && placement?.in === 'query') url.searchParams.delete(placement.name);
  const headers = Object.entries(sent.headers).filter(([k]) => !HOP_BY_HOP.has(k) && !(withoutCredential && k === credentialHeader));
  return fetch(url, { method: sent.method, headers, ...(sent.body !== '' ? { body: sent.body } : {}) });
}

describe.each(oauth.map((f) => [f.definition.id, f] as const))('%s', (id, factory) => {
  const d = factory.definition;
  const o = d.oauth2!;
  /** What the API answers a refused token with: 401 always (RFC 6750 §3.1), or a declared status. */
  const refusedStatuses = [401, ...(d.api?.tokenRejected?.statuses ?? [])];
  let emu: ProviderEmulator;
  beforeAll(async () => { emu = await startProviderEmulator(d); });
  afterAll(async () => { await emu.close(); });

  it('connects (authorize → consent → code exchange) with what the provider declares', async () => {
    const auth = managerFor(factory, emu);
    const result = await connect(auth, emu, id, 'u1');
    const authorize = lastRequest(emu, 'authorize');
    const token = lastRequest(emu, 'token');
    expect(authorize.params.code_challenge_method).toBe(o.pkce === false ? undefined : 'S256');
    expect(token.params.grant_type).toBe('authorization_code');
    expect(token.headers['content-type']).toContain(o.tokenRequest?.bodyFormat === 'json' ? 'application/json' : 'application/x-www-form-urlencoded');
    if (o.clientAuthentication === 'client_secret_basic') {
      expect(token.headers.authorization).toMatch(/^Basic /);
      expect(token.params.client_secret).toBeUndefined();
    } else {
      expect(token.params.client_id).toBe(emu.clientId);
      expect(token.headers.authorization).toBeUndefined();
    }
    if (o.clientAuthentication === 'client_secret_post') expect(token.params.client_secret).toBe(emu.clientSecret);
    for (const [k, v] of Object.entries(o.tokenRequest?.params ?? {})) expect(token.params[k]).toBe(v);
    if (d.identity) expect(result.account?.id).toBe(emu.account.id);
    const stored = (await auth.loadCredentials(id, 'u1'))!;
    expect(stored.accessToken).toBeTruthy();
    // expires_in: 0 means "never" where declared; else the token has a lifetime (the emulator's 3600 s or the declared default).
    if (o.tokenResponse?.zeroExpiresInMeansNever) expect(stored.expiresAt).toBeUndefined();
    else expect(stored.expiresAt).toBeInstanceOf(Date);
    // A documented maximum refresh-token lifetime caps the chain from the authorization.
    if (o.refreshTokenMaxLifetimeSeconds !== undefined && stored.refreshToken !== undefined) {
      expect(stored.refreshTokenExpiresAt!.getTime() - stored.obtainedAt!.getTime()).toBeLessThanOrEqual(o.refreshTokenMaxLifetimeSeconds * 1000);
    }
  });

  it('calls the API with the credential, refreshes, and revokes', async () => {
    const auth = managerFor(factory, emu);
    await connect(auth, emu, id, 'u2');
    emu.clearRequests();
    const callApi = async () => {
      const res = await auth.withSession('u2', (s) => s.fetch(id, emu.endpoints.api!));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, account: emu.account.id });
    };
    if (d.api) await callApi();
    const before = (await auth.loadCredentials(id, 'u2'))!;
    if (before.refreshToken !== undefined) {
      const fresh = await auth.withSession('u2', (s) => s.refresh(id));
      expect(lastRequest(emu, 'token').params.grant_type).toBe('refresh_token');
      expect(fresh.accessToken).not.toBe(before.accessToken);
      if (o.refreshTokenRotation === 'rotates') expect(fresh.refreshToken).not.toBe(before.refreshToken);
      else expect(fresh.refreshToken).toBe(before.refreshToken);
      if (d.api) await callApi(); // the new access token works
    } else {
      await expectRejection(auth.withSession('u2', (s) => s.refresh(id)), 'REAUTHORIZATION_REQUIRED');
    }
    if (o.revocation !== undefined) {
      const lastApiCall = d.api ? lastRequest(emu, 'api') : undefined;
      const result = await auth.disconnect(id, 'u2');
      expect(result.revoked).toBe(true);
      expect(emu.requestCount('revocation')).toBeGreaterThan(0);
      expect(await auth.loadCredentials(id, 'u2')).toBeUndefined();
      if (lastApiCall) {
        // The very request that just worked is refused now: the token is dead at the provider.
        const res = await replay(emu, lastApiCall);
        expect(refusedStatuses).toContain(res.status);
      }
    }
  });

  it('is refused what the real provider refuses: the undeclared client authentication and body format', async () => {
    const tokenUrl = emu.endpoints.token!;
    const json = o.tokenRequest?.bodyFormat === 'json';
    const basic = `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`;
    const params = { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token', ...o.tokenRequest?.params };
    const declared = o.clientAuthentication === 'client_secret_basic'
      ? { body: { ...params }, headers: { authorization: basic } as Record<string, string> }
      : { body: { ...params, client_id: emu.clientId, ...(o.clientAuthentication === 'client_secret_post' ? { client_secret: emu.clientSecret } : {}) }, headers: {} as Record<string, string> };
    const undeclared = o.clientAuthentication === 'client_secret_basic'
      ? { body: { ...params, client_id: emu.clientId, client_secret: emu.clientSecret }, headers: {} as Record<string, string> }
      : { body: { ...params, client_id: emu.clientId }, headers: { authorization: basic } as Record<string, string> };
    const post = async (how: { body: Record<string, string>; headers: Record<string, string> }, asJson: boolean) => {
      const res = await fetch(tokenUrl, {
        method: 'POST', body: asJson ? JSON.stringify(how.body) : new URLSearchParams(how.body).toString(),
        headers: { ...how.headers, 'content-type': asJson ? 'application/json' : 'application/x-www-form-urlencoded', accept: 'application/json' },
      });
      const answer = await res.json() as { error?: string };
      // The RFC 6749 §5.2 code the provider's own code means (declared aliases).
      return { status: res.status, error: o.tokenErrors?.aliases?.[answer.error ?? ''] ?? answer.error };
    };
    // Control: sent as declared, the request gets as far as the (unknown) refresh token.
    const control = await post(declared, json);
    expect(control.error).toBe('invalid_grant');
    // RFC 6749 §5.2: invalid_client (401, or 400 when no Authorization header was sent), or invalid_request.
    const wrongAuth = await post(undeclared, json);
    expect(['invalid_client', 'invalid_request']).toContain(wrongAuth.error);
    if (o.tokenErrors?.sentWithHttp200) expect(wrongAuth.status).toBe(200);
    else expect([400, 401]).toContain(wrongAuth.status);
    const wrongFormat = await post(declared, !json);
    expect(wrongFormat.error).toBe('invalid_request');
    expect(wrongFormat.status).toBe(o.tokenErrors?.sentWithHttp200 ? 200 : 400);
  });

  it('answers an API call without the credential as a refusal', async () => {
    if (!d.api) {
      expect(emu.endpoints.api).toBeUndefined();
      return;
    }
    const auth = managerFor(factory, emu);
    await connect(auth, emu, id, 'u3');
    const ok = await auth.withSession('u3', (s) => s.fetch(id, emu.endpoints.api!));
    expect(ok.status).toBe(200);
    // The same request as core sent it (API headers and all), only without the credential.
    const sent = lastRequest(emu, 'api');
    const { accessToken } = (await auth.loadCredentials(id, 'u3'))!;
    const placement = d.api.credentialPlacement;
    if (placement?.in === 'query') expect(new URL(sent.path, emu.origin).searchParams.get(placement.name)).toBe(accessToken);
    else expect(sent.headers[(placement?.name ?? 'authorization').toLowerCase()]).toContain(accessToken);
    const res = await replay(emu, sent, true);
    expect(refusedStatuses).toContain(res.status);
    expect(lastRequest(emu, 'api').path).toBe(sent.path);
  });
});

describe.each(keys.map((f) => [f.definition.id, f] as const))('%s (static credential)', (id, factory) => {
  let emu: ProviderEmulator;
  beforeAll(async () => { emu = await startProviderEmulator(factory.definition); });
  afterAll(async () => { await emu.close(); });

  it('puts a subject\'s stored key where the provider wants it, and the API accepts it', async () => {
    const auth = managerFor(factory, emu);
    await auth.storeCredentials(id, 'k1', { accessToken: emu.staticTokens[0]! });
    const res = await auth.withSession('k1', (s) => s.fetch(id, emu.endpoints.api!));
    expect(res.status).toBe(200);
    const key = emu.staticTokens[0]!;
    const placement = factory.definition.api!.credentialPlacement!;
    const sent = lastRequest(emu, 'api');
    if (placement.in === 'query') expect(new URL(sent.path, emu.origin).searchParams.get(placement.name)).toBe(key);
    else expect(sent.headers[placement.name.toLowerCase()]).toBe((placement.format ?? '{token}').replace('{token}', placement.base64 ? Buffer.from(key).toString('base64') : key));
    expect(await auth.withSession('k1', (s) => s.accessToken(id))).toBe(key);
  });

  it('uses the app-wide key for subjects without one, and a wrong key is refused', async () => {
    const auth = managerFor(factory, emu);
    // A subject with no key of its own gets the app-wide one (the emulator's first static token).
    expect(await auth.withSession('nobody', (s) => s.accessToken(id))).toBe(emu.staticTokens[0]);
    const withAppKey = await auth.withSession('nobody', (s) => s.fetch(id, emu.endpoints.api!));
    expect(withAppKey.status).toBe(200);
    await auth.storeCredentials(id, 'k2', { accessToken: 'not-the-key' });
    const res = await auth.withSession('k2', (s) => s.fetch(id, emu.endpoints.api!));
    expect(res.status).toBe(401);
    // The wrong key itself went out (and not the app-wide one): the emulator refused it, not its absence.
    const sent = lastRequest(emu, 'api');
    expect(`${sent.path} ${Object.values(sent.headers).join(' ')}`).toContain('not-the-key');
    expect(`${sent.path} ${Object.values(sent.headers).join(' ')}`).not.toContain(emu.staticTokens[0]!);
  });

  it('without an app-wide key, a subject with none has no credentials', async () => {
    const { apiKey: _key, username: _user, password: _password, ...noKey } = emu.appCredentials as Record<string, string>;
    const auth = new AuthManager({ env: envFrom({}), providers: [factory(noKey)] });
    await expectRejection(auth.withSession('nobody', (s) => s.accessToken(id)), 'CREDENTIALS_NOT_FOUND');
  });
});
