import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { Credentials, ExchangeResult, IntrospectionResult } from '@authmanager/core';
import type { SalesforceUserCredentialExtras } from '../src/index.js';
import { startSalesforceEmulator, type SalesforceEmulator, type SalesforceRecordedRequest } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import { managerFor, type SalesforceManager } from './helpers.js';

type SfCredentials = Credentials<SalesforceUserCredentialExtras>;

describe('connect → session → API → refresh → introspect → revoke, on the wire', () => {
  let emu: SalesforceEmulator;
  let auth: SalesforceManager;
  let authorizeUrl: URL;
  let callbackUrl: URL;
  let exchanged: ExchangeResult<SalesforceUserCredentialExtras>;
  let firstApi: { status: number; body: unknown };
  let refreshed: SfCredentials;
  let storedAfterRefresh: SfCredentials | undefined;
  let secondApi: { status: number };
  let introspection: IntrospectionResult;
  let revoked: boolean;
  let storedAfterRevoke: unknown;
  let log: readonly SalesforceRecordedRequest[];

  beforeAll(async () => {
    emu = await startSalesforceEmulator();
    auth = managerFor(emu);
    authorizeUrl = (await auth.salesforce.oauth2.authorize({ subject: 'user-1' })).url;
    callbackUrl = new URL(await approve(authorizeUrl));
    // Core's ExtrasOf does not infer this definition's extras yet (it matches F = AppCredentialFields,
    // which the definition's (app) => … members are not assignable to); the casts can go once it does.
    exchanged = await auth.salesforce.oauth2.exchange({ callbackUrl }) as ExchangeResult<SalesforceUserCredentialExtras>;
    await auth.storeCredentials('salesforce', exchanged.subject, exchanged.credentials);
    {
      await using session = await auth.session('user-1');
      const res = await session.fetch('salesforce', 'limits');
      firstApi = { status: res.status, body: await res.json() };
      refreshed = await session.salesforce.refresh() as SfCredentials;
      storedAfterRefresh = await auth.loadCredentials('salesforce', 'user-1') as SfCredentials | undefined;
      const again = await session.salesforce.fetch('/limits');
      secondApi = { status: again.status };
      await again.body?.cancel();
    }
    introspection = await auth.salesforce.oauth2.introspect(refreshed.accessToken);
    revoked = await auth.salesforce.oauth2.revoke({ subject: 'user-1' });
    storedAfterRevoke = await auth.loadCredentials('salesforce', 'user-1');
    log = emu.requests();
  });
  afterAll(async () => { await emu.close(); });

  const tokenRequests = () => log.filter((r) => r.endpoint === 'token').map((r) => ({ ...r, form: new URLSearchParams(r.body) }));

  it('sends the user to {loginUrl}/services/oauth2/authorize with code, PKCE S256, state and the default scopes', () => {
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${emu.loginUrl}/services/oauth2/authorize`);
    const p = authorizeUrl.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe(emu.clientId);
    expect(p.get('redirect_uri')).toBe(emu.redirectUri);
    expect(p.get('scope')).toBe('api refresh_token');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('state')).toBe(callbackUrl.searchParams.get('state'));
  });

  it('exchanges the code (which ends in "==") with the secret and code_verifier in a form body, no Basic header', () => {
    const [exchange] = tokenRequests();
    expect(exchange?.method).toBe('POST');
    expect(exchange?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(exchange?.headers.authorization).toBeUndefined();
    const form = exchange!.form;
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(callbackUrl.searchParams.get('code')).toMatch(/==$/);
    expect(form.get('code')).toBe(callbackUrl.searchParams.get('code'));
    expect(form.get('redirect_uri')).toBe(emu.redirectUri);
    expect(form.get('client_id')).toBe(emu.clientId);
    expect(form.get('client_secret')).toBe(emu.clientSecret);
    const verifier = form.get('code_verifier') ?? '';
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authorizeUrl.searchParams.get('code_challenge'));
  });

  it('keeps instance_url, id and issued_at (epoch ms string) as typed extras, and a refresh token', () => {
    const c = exchanged.credentials;
    expect(exchanged.subject).toBe('user-1');
    expect(c.extras.instance_url).toBe(emu.instanceUrls[0]);
    expect(c.extras.id).toBe(`${emu.loginUrl}/id/${emu.account.orgId}/${emu.account.userId}`);
    expect(c.extras.issued_at).toMatch(/^\d{13}$/);
    expect(c.refreshToken).toMatch(/^5Aep/);
    expect(c.scopes).toEqual(['api', 'refresh_token']);
    expect(c.raw.signature).toEqual(expect.any(String));
    expect(c.raw).not.toHaveProperty('access_token');
  });

  it('expires the token after the default 2 hours, since the response has no expires_in', () => {
    const c = exchanged.credentials;
    expect(c.raw).not.toHaveProperty('expires_in');
    expect(c.expiresAt!.getTime() - c.obtainedAt.getTime()).toBe(7200 * 1000);
  });

  it('calls {instance_url}/services/data/v64.0/<path> with the bearer token', () => {
    expect(firstApi.status).toBe(200);
    expect(firstApi.body).toEqual({ DailyApiRequests: expect.objectContaining({ Max: 15000 }) });
    const [call] = log.filter((r) => r.endpoint === 'api');
    expect(call?.origin).toBe(emu.instanceUrls[0]);
    expect(call?.path).toBe('/services/data/v64.0/limits');
    expect(call?.headers.authorization).toBe(`Bearer ${exchanged.credentials.accessToken}`);
    expect(call?.headers.accept).toBe('application/json');
  });

  it('refreshes with grant_type=refresh_token and the secret in the body, keeping the refresh token', () => {
    const refresh = tokenRequests()[1]!;
    expect(refresh.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(refresh.form)).toEqual({
      grant_type: 'refresh_token', refresh_token: exchanged.credentials.refreshToken,
      client_id: emu.clientId, client_secret: emu.clientSecret,
    });
    expect(refreshed.accessToken).not.toBe(exchanged.credentials.accessToken);
    expect(refreshed.refreshToken).toBe(exchanged.credentials.refreshToken);
    expect(storedAfterRefresh?.accessToken).toBe(refreshed.accessToken);
  });

  it('uses the refreshed token for the next API call', () => {
    expect(secondApi.status).toBe(200);
    const calls = log.filter((r) => r.endpoint === 'api');
    expect(calls[1]?.headers.authorization).toBe(`Bearer ${refreshed.accessToken}`);
  });

  it('introspects at /services/oauth2/introspect with client authentication in the body', () => {
    expect(introspection).toEqual(expect.objectContaining({ active: true, token_type: 'access_token', client_id: emu.clientId }));
    const [req] = log.filter((r) => r.endpoint === 'introspection');
    const form = new URLSearchParams(req!.body);
    expect(form.get('token')).toBe(refreshed.accessToken);
    expect(form.get('client_secret')).toBe(emu.clientSecret);
  });

  it('revokes with a single token= form POST of the refresh token, which kills the access token too', () => {
    const revokes = log.filter((r) => r.endpoint === 'revocation');
    expect(revokes).toHaveLength(1);
    expect(revokes[0]?.method).toBe('POST');
    expect(revokes[0]?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(revokes[0]?.body).toBe(new URLSearchParams({ token: exchanged.credentials.refreshToken! }).toString());
    expect(emu.isRefreshTokenActive(exchanged.credentials.refreshToken!)).toBe(false);
    expect(emu.isAccessTokenActive(refreshed.accessToken)).toBe(false);
  });

  it('deletes the stored credential after revoking', () => {
    expect(revoked).toBe(true);
    expect(storedAfterRevoke).toBeUndefined();
  });
});
