import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AuthManagerError, envFrom, type Credentials } from '@authmanager/core';
import type { SalesforceUserCredentialExtras } from '../src/index.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '@authmanager/testing';
import { expectRejection } from '@authmanager/testing/providers';
import { connect, managerFor, type SalesforceManager } from './helpers.js';

type SfCredentials = Credentials<SalesforceUserCredentialExtras>;

const HOUR_MS = 3600 * 1000;

let emu: SalesforceEmulator;
let clock: number;
let auth: SalesforceManager;

beforeEach(async () => {
  clock = Date.UTC(2025, 0, 15, 9, 30, 0, 123);
  emu = await startSalesforceEmulator({ now: () => clock });
  auth = managerFor(emu, { now: () => clock });
});
afterEach(async () => { await emu.close(); });

const stored = async (subject = 'user-1') => await auth.loadCredentials('salesforce', subject) as SfCredentials | undefined;
const refreshGrants = () => emu.requests('token').filter((r) => new URLSearchParams(r.body).get('grant_type') === 'refresh_token');

describe('no expires_in: a default lifetime', () => {
  it('sets expiresAt to the configured accessTokenLifetimeSeconds', async () => {
    const local = managerFor(emu, { now: () => clock, accessTokenLifetimeSeconds: 900 });
    const { credentials } = await connect(local, 'user-1');
    expect(credentials.expiresAt?.getTime()).toBe(clock + 900_000);
  });

  it('reads the lifetime from SALESFORCE_ACCESS_TOKEN_LIFETIME_SECONDS', async () => {
    const local = managerFor(emu, { now: () => clock, env: envFrom({ SALESFORCE_ACCESS_TOKEN_LIFETIME_SECONDS: '1800' }) });
    const { credentials } = await connect(local, 'user-1');
    expect(credentials.expiresAt?.getTime()).toBe(clock + 1_800_000);
  });

  it('refreshes before the API call once the session timeout has passed (no 401 on the wire)', async () => {
    const { credentials } = await connect(auth, 'user-1');
    clock += 2 * HOUR_MS + 1;
    await using session = await auth.session('user-1');
    const res = await session.fetch('salesforce', 'limits');
    await res.body?.cancel();
    expect(res.status).toBe(200);
    expect(refreshGrants()).toHaveLength(1);
    const calls = emu.requests('api');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers.authorization).not.toBe(`Bearer ${credentials.accessToken}`);
  });
});

describe('refresh once on 401', () => {
  it('refreshes and retries once when the org ends the session early', async () => {
    const { credentials } = await connect(auth, 'user-1');
    emu.expireAccessTokens();
    await using session = await auth.session('user-1');
    const res = await session.fetch('salesforce', 'limits');
    await res.body?.cancel();
    const calls = emu.requests('api');
    expect(res.status).toBe(200);
    expect(refreshGrants()).toHaveLength(1);
    expect(calls.map((c) => c.headers.authorization === `Bearer ${credentials.accessToken}`)).toEqual([true, false]);
    expect((await stored())?.accessToken).not.toBe(credentials.accessToken);
  });
});

describe('identity service: 403 Bad_OAuth_Token means the token was refused', () => {
  it('refreshes once and retries a userinfo call answered 403 Bad_OAuth_Token', async () => {
    const { credentials } = await connect(auth, 'user-1');
    emu.expireAccessTokens();
    await using session = await auth.session('user-1');
    const res = await session.fetch('salesforce', `${emu.loginUrl}/services/oauth2/userinfo`);
    const calls = emu.requests('userinfo');
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(refreshGrants()).toHaveLength(1);
    expect(calls.map((c) => c.headers.authorization === `Bearer ${credentials.accessToken}`)).toEqual([true, false]);
  });

  it('does not refresh on another 403', async () => {
    await connect(auth, 'user-1');
    await using session = await auth.session('user-1');
    const res = await session.fetch('salesforce', `${emu.loginUrl}/id/00D000000000OTHER/005000000000USER`);
    expect(res.status).toBe(403);
    expect((await res.text()).trim()).not.toBe('Bad_OAuth_Token');
    expect(refreshGrants()).toHaveLength(0);
  });
});

describe('instance_url', () => {
  it('replaces instance_url when a refresh returns another and sends API calls there', async () => {
    await connect(auth, 'user-1');
    const moved = emu.moveOrgToOtherInstance();
    emu.expireAccessTokens();
    await using session = await auth.session('user-1');
    const res = await session.fetch('salesforce', 'limits');
    await res.body?.cancel();
    expect(res.status).toBe(200);
    expect(moved).toBe(emu.instanceUrls[1]);
    expect((await stored())?.extras.instance_url).toBe(emu.instanceUrls[1]);
    expect(emu.requests('api').filter((r) => r.host === 'instance-0').length).toBe(1);
    expect(emu.requests('api').filter((r) => r.host === 'instance-1').length).toBe(1);
  });

  it('derives the API base from instance_url and the apiVersion app credential', async () => {
    const local = managerFor(emu, { now: () => clock, env: envFrom({ SALESFORCE_API_VERSION: '58.0' }) });
    await connect(local, 'user-1');
    await using session = await local.session('user-1');
    const res = await session.fetch('salesforce', 'limits');
    await res.body?.cancel();
    expect(res.status).toBe(200);
    expect(emu.requests('api')[0]?.path).toBe('/services/data/v58.0/limits');
  });
});

describe('issued_at', () => {
  it('keeps issued_at as the epoch-milliseconds string Salesforce sent, updated by a refresh', async () => {
    const { credentials } = await connect(auth, 'user-1');
    const connectedAt = clock;
    clock += 60_000;
    await using session = await auth.session('user-1');
    const refreshed = await session.salesforce.refresh();
    expect(credentials.extras.issued_at).toBe(String(connectedAt));
    expect(refreshed.extras.issued_at).toBe(String(connectedAt + 60_000));
  });
});

describe('signature', () => {
  for (const what of ['signature', 'id'] as const) {
    it(`rejects a token response whose ${what} was altered with INVALID_TOKEN_RESPONSE and stores nothing`, async () => {
      emu.tamperNextTokenResponse(what);
      const err = await expectRejection(connect(auth, 'user-1'), 'INVALID_TOKEN_RESPONSE');
      expect(await stored()).toBeUndefined();
    });
  }

  it('rejects a tampered refresh response and keeps the stored credential', async () => {
    const { credentials } = await connect(auth, 'user-1');
    emu.tamperNextTokenResponse('signature');
    await using session = await auth.session('user-1');
    const err = await expectRejection(session.salesforce.refresh(), 'INVALID_TOKEN_RESPONSE');
    expect((await stored())?.accessToken).toBe(credentials.accessToken);
  });
});

describe('refresh tokens', () => {
  it('gets no refresh token without the refresh_token / offline_access scope, so a refresh needs reauthorization', async () => {
    const { credentials } = await connect(auth, 'user-1', ['api']);
    await using session = await auth.session('user-1');
    const err = await session.salesforce.refresh().catch((e: unknown) => e);
    expect(credentials.refreshToken).toBeUndefined();
    expect(AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')).toBe(true);
    expect(refreshGrants()).toHaveLength(0);
  });

  it('gets a refresh token with offline_access', async () => {
    const { credentials } = await connect(auth, 'user-1', ['api', 'offline_access']);
    expect(credentials.refreshToken).toEqual(expect.any(String));
  });

  it('stores the new refresh token when the connected app rotates them, and uses it next time', async () => {
    emu.setRefreshTokenRotation(true);
    const { credentials } = await connect(auth, 'user-1');
    await using session = await auth.session('user-1');
    const first = await session.salesforce.refresh();
    const second = await session.salesforce.refresh();
    const presented = refreshGrants().map((r) => new URLSearchParams(r.body).get('refresh_token'));
    expect(first.refreshToken).not.toBe(credentials.refreshToken);
    expect(emu.isRefreshTokenActive(credentials.refreshToken!)).toBe(false);
    expect(presented).toEqual([credentials.refreshToken, first.refreshToken]);
    expect((await stored())?.refreshToken).toBe(second.refreshToken);
  });

  it('turns a dead refresh token (invalid_grant) into REAUTHORIZATION_REQUIRED', async () => {
    const { credentials } = await connect(auth, 'user-1');
    await fetch(`${emu.loginUrl}/services/oauth2/revoke`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: credentials.refreshToken! }),
    });
    await using session = await auth.session('user-1');
    const err = await expectRejection(session.salesforce.refresh(), 'REAUTHORIZATION_REQUIRED');
    expect((err as AuthManagerError).error).toBe('invalid_grant');
  });
});

describe('revocation', () => {
  it('treats 400 invalid_token (already revoked elsewhere) as revoked and deletes the credential', async () => {
    const { credentials } = await connect(auth, 'user-1');
    await fetch(`${emu.loginUrl}/services/oauth2/revoke`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: credentials.refreshToken! }),
    });
    const revoked = await auth.salesforce.oauth2.revoke({ subject: 'user-1' });
    expect(revoked).toBe(true);
    expect(await stored()).toBeUndefined();
  });

  it('revokes the access token when there is no refresh token', async () => {
    const { credentials } = await connect(auth, 'user-1', ['api']);
    await auth.salesforce.oauth2.revoke({ subject: 'user-1' });
    expect(emu.requests('revocation').map((r) => r.body)).toEqual([new URLSearchParams({ token: credentials.accessToken }).toString()]);
    expect(emu.isAccessTokenActive(credentials.accessToken)).toBe(false);
  });

  it('keeps the credential and reports PROVIDER_UNAVAILABLE when revocation answers 5xx', async () => {
    await connect(auth, 'user-1');
    emu.failNext('revocation', { status: 503, body: { error: 'server_error' } });
    const err = await expectRejection(auth.salesforce.oauth2.revoke({ subject: 'user-1' }), 'PROVIDER_UNAVAILABLE');
    expect(await stored()).toBeDefined();
  });

  it('reports REVOCATION_FAILED for another 400', async () => {
    await connect(auth, 'user-1');
    emu.failNext('revocation', { status: 400, body: { error: 'unsupported_token_type', error_description: 'unsupported token type' } });
    const err = await expectRejection(auth.salesforce.oauth2.revoke({ subject: 'user-1' }), 'REVOCATION_FAILED');
    expect((err as AuthManagerError).error).toBe('unsupported_token_type');
  });
});

describe('authorization errors', () => {
  it('turns a denied consent into AUTHORIZATION_DENIED', async () => {
    emu.denyNextAuthorization();
    const err = await expectRejection(connect(auth, 'user-1'), 'AUTHORIZATION_DENIED');
    expect((err as AuthManagerError).error).toBe('access_denied');
  });

  it('introspects a revoked token as inactive', async () => {
    const { credentials } = await connect(auth, 'user-1');
    await auth.salesforce.oauth2.revoke({ subject: 'user-1' });
    const result = await auth.salesforce.oauth2.introspect(credentials.accessToken);
    expect(result.active).toBe(false);
  });
});

describe('identity URL and other hosts', () => {
  it('sends the token to the identity URL on the login host (an absolute URL the binding allows)', async () => {
    const { credentials } = await connect(auth, 'user-1');
    await using session = await auth.session('user-1');
    const res = await session.fetch('salesforce', String(credentials.extras.id));
    const body = await res.json() as { user_id?: string };
    expect(res.status).toBe(200);
    expect(body.user_id).toBe(emu.account.userId);
    expect(emu.requests('identity')[0]?.headers.authorization).toBe(`Bearer ${credentials.accessToken}`);
  });

  it('refuses to send the token to any other origin', async () => {
    await connect(auth, 'user-1');
    await using session = await auth.session('user-1');
    const err = await expectRejection(session.fetch('salesforce', 'https://attacker.example/services/data'), 'CONFIGURATION');
  });

  it('rejects a token response whose instance_url is not https, before the token is sent there', async () => {
    const local = managerFor(emu, { now: () => clock });
    const id = `${emu.loginUrl}/id/${emu.account.orgId}/${emu.account.userId}`;
    const issuedAt = String(clock);
    emu.failNext('token', {
      status: 200,
      body: {
        access_token: '00D!AR-x', instance_url: 'http://evil.example', id, issued_at: issuedAt, token_type: 'Bearer',
        signature: createHmac('sha256', emu.clientSecret).update(id + issuedAt).digest('base64'), // correctly signed
      },
    });
    const err = await expectRejection(connect(local, 'user-1'), 'INVALID_TOKEN_RESPONSE');
  });
});

describe('OpenID Connect scope', () => {
  it('keeps the id_token Salesforce adds for openid, issued by the login host for this client', async () => {
    // openid-client checks the ID token's exp against the real clock: no fake clock here.
    const live = await startSalesforceEmulator();
    try {
      const local = managerFor(live);
      const { credentials } = await connect(local, 'user-1', ['api', 'refresh_token', 'openid']);
      await using session = await local.session('user-1');
      const refreshed = await session.salesforce.refresh();
      const claims = credentials.idTokenClaims();
      expect(claims).toEqual(expect.objectContaining({ iss: live.loginUrl, aud: live.clientId, sub: credentials.extras.id }));
      expect(refreshed.idToken).toEqual(expect.any(String));
    } finally {
      await live.close();
    }
  });
});
