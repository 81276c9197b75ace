import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, Credentials, envFrom } from '@authmanager/core';
import { salesforce, type SalesforceUserCredentialExtras } from '../src/index.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '@authmanager/testing';
import { expectRejection } from '@authmanager/testing/providers';
import { connect, managerFor, type ManagerOptions } from './helpers.js';

// Defect: `instance_url` was unrestricted. Salesforce signs only `id` + `issued_at`, so a token
// response whose `instance_url` was altered (https://attacker.example, http://localhost:6379) still
// verified, was stored, and `session.fetch` then sent the bearer token there. Now it must be on
// Salesforce's documented domains (https://*.salesforce.com) or an explicit allowedInstanceOrigins
// entry: checked at intake (INVALID_TOKEN_RESPONSE, nothing stored) and at use (a stored record
// with another instance_url is INVALID_STORED_CREDENTIALS and gets no token).

type SfCredentials = Credentials<SalesforceUserCredentialExtras>;

let emu: SalesforceEmulator;
/** Every URL the manager's fetch was asked for; off the emulator, nothing is sent. */
let seen: string[];
const offEmulator = () => seen.filter((u) => ![emu.loginUrl, ...emu.instanceUrls].includes(new URL(u).origin));

/** The manager's fetch: real for the emulator's hosts, refused (and recorded) anywhere else. */
const recordingFetch: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  seen.push(url);
  if (![emu.loginUrl, ...emu.instanceUrls].includes(new URL(url).origin)) throw new TypeError('fetch failed');
  return fetch(input, init);
};

const manager = (options: ManagerOptions = {}) => managerFor(emu, { fetch: recordingFetch, ...options });

beforeEach(async () => {
  emu = await startSalesforceEmulator();
  seen = [];
});
afterEach(async () => { await emu.close(); });

describe('instance_url at intake (validateTokenResponse)', () => {
  const hostile = [
    'https://attacker.example',
    'http://localhost:6379',
    'https://evil.test@acme.my.salesforce.com',
    'https://acme.my.salesforce.com.evil.test',
    'https://acme.my.salesforce.com:8443',
    'http://acme.my.salesforce.com',
    'https://evilsalesforce.com',
    'https://acme.lightning.force.com',
    'not a url',
  ];
  for (const instanceUrl of hostile) {
    it(`rejects a correctly signed token response naming ${instanceUrl} with INVALID_TOKEN_RESPONSE and stores nothing`, async () => {
      const auth = manager();
      emu.tamperNextTokenResponse({ instance_url: instanceUrl });
      const err = await expectRejection(connect(auth, 'user-1'), 'INVALID_TOKEN_RESPONSE');
      expect(await auth.loadCredentials('salesforce', 'user-1')).toBeUndefined();
      expect(offEmulator()).toEqual([]);
    });
  }

  it('keeps userinfo out of the error message', async () => {
    const auth = manager();
    emu.tamperNextTokenResponse({ instance_url: 'https://user:hunter2@attacker.example' });
    const err = await connect(auth, 'user-1').catch((e: unknown) => e) as Error;
    expect(err.message).toContain('attacker.example');
    expect(err.message).not.toContain('hunter2');
  });

  it('rejects a refresh response naming another instance and keeps the stored credential and its instance', async () => {
    const auth = manager();
    const { credentials } = await connect(auth, 'user-1');
    emu.tamperNextTokenResponse({ instance_url: 'https://attacker.example' });
    await using session = await auth.session('user-1');
    const err = await session.salesforce.refresh().catch((e: unknown) => e);
    const kept = await auth.loadCredentials('salesforce', 'user-1') as SfCredentials | undefined;
    expect(AuthManagerError.is(err, 'INVALID_TOKEN_RESPONSE')).toBe(true);
    expect(kept?.accessToken).toBe(credentials.accessToken);
    expect(kept?.extras.instance_url).toBe(emu.instanceUrls[0]);
  });

  it('refuses the emulator\'s loopback instance unless it is listed (loopback is an explicit opt-in)', async () => {
    const auth = manager({ allowedInstanceOrigins: [] });
    const err = await expectRejection(connect(auth, 'user-1'), 'INVALID_TOKEN_RESPONSE');
  });

  it('accepts the opted-in loopback instance', async () => {
    const { credentials } = await connect(manager(), 'user-1');
    expect(credentials.extras.instance_url).toBe(emu.instanceUrls[0]);
  });

  for (const instanceUrl of [
    'https://acme.my.salesforce.com',
    'https://ACME.My.Salesforce.COM',
    'https://acme--uat.sandbox.my.salesforce.com',
    'https://acme-dev-ed.develop.my.salesforce.com',
    'https://usa77.salesforce.com',
  ]) {
    it(`accepts the documented Salesforce host ${instanceUrl} and sends API calls there`, async () => {
      const auth = manager();
      emu.tamperNextTokenResponse({ instance_url: instanceUrl });
      const { credentials } = await connect(auth, 'user-1');
      await using session = await auth.session('user-1');
      const err = await session.fetch('salesforce', 'limits').catch((e: unknown) => e);
      expect(credentials.extras.instance_url).toBe(instanceUrl);
      // The recording fetch refuses every non-emulator host: the call was addressed there.
      expect(AuthManagerError.is(err, 'PROVIDER_UNAVAILABLE')).toBe(true);
      expect(offEmulator()).toEqual([`${new URL(instanceUrl).origin}/services/data/v64.0/limits`]);
    });
  }

  it('accepts an allowedInstanceOrigins wildcard (e.g. a Government Cloud Plus org) from SALESFORCE_ALLOWED_INSTANCE_ORIGINS', async () => {
    const auth = new AuthManager({
      providers: [salesforce({ loginUrl: emu.loginUrl, clientId: emu.clientId, clientSecret: emu.clientSecret, redirectUri: emu.redirectUri })],
      env: envFrom({ SALESFORCE_ALLOWED_INSTANCE_ORIGINS: `https://*.my.salesforce.mil, ${emu.instanceUrls.join(' ')}` }),
      fetch: recordingFetch,
    });
    emu.tamperNextTokenResponse({ instance_url: 'https://agency.my.salesforce.mil' });
    const { credentials } = await connect(auth, 'user-1');
    expect(credentials.extras.instance_url).toBe('https://agency.my.salesforce.mil');
  });
});

describe('instance_url at use (API binding baseUrl, jsforce client)', () => {
  const stored = (instanceUrl: string) => new Credentials<SalesforceUserCredentialExtras>({
    accessToken: '00D000000000001!AQstolen', tokenType: 'Bearer', refreshToken: '5Aep-stolen',
    expiresAt: new Date(Date.now() + 3_600_000),
    extras: { instance_url: instanceUrl, id: `${emu.loginUrl}/id/00D000000000001/005000000000001` },
  });

  for (const instanceUrl of ['https://attacker.example', 'http://localhost:6379', 'https://evil.test@acme.my.salesforce.com', 'https://acme.my.salesforce.com.evil.test']) {
    it(`sends no token to a stored instance_url ${instanceUrl}: INVALID_STORED_CREDENTIALS`, async () => {
      const auth = manager();
      await auth.storeCredentials('salesforce', 'user-1', stored(instanceUrl));
      await using session = await auth.session('user-1');
      const viaFetch = await session.fetch('salesforce', 'limits').catch((e: unknown) => e);
      const viaClient = await session.salesforce.client().catch((e: unknown) => e);
      expect(AuthManagerError.is(viaFetch, 'INVALID_STORED_CREDENTIALS')).toBe(true);
      expect(AuthManagerError.is(viaClient, 'INVALID_STORED_CREDENTIALS')).toBe(true);
      expect(seen).toEqual([]);
    });
  }

  it('also refuses an absolute URL on the login host while the stored instance_url is bad', async () => {
    const auth = manager();
    await auth.storeCredentials('salesforce', 'user-1', stored('https://attacker.example'));
    await using session = await auth.session('user-1');
    const err = await expectRejection(session.fetch('salesforce', `${emu.loginUrl}/services/oauth2/userinfo`), 'INVALID_STORED_CREDENTIALS');
    expect(seen).toEqual([]);
  });

  it('stops using a stored loopback instance once it is no longer allowed', async () => {
    const first = manager();
    const { credentials } = await connect(first, 'user-1');
    const strict = manager({ allowedInstanceOrigins: [] });
    await strict.storeCredentials('salesforce', 'user-1', credentials);
    await using session = await strict.session('user-1');
    const err = await expectRejection(session.fetch('salesforce', 'limits'), 'INVALID_STORED_CREDENTIALS');
    expect(emu.requestCount('api')).toBe(0);
  });
});

describe('allowedInstanceOrigins app credential', () => {
  for (const bad of ['http://attacker.example', 'http://*.localhost', 'https://acme.example/services', 'https://user@acme.example', 'ftp://acme.example', 'acme.example']) {
    it(`refuses ${bad} with CONFIGURATION naming SALESFORCE_ALLOWED_INSTANCE_ORIGINS`, async () => {
      const auth = manager({ allowedInstanceOrigins: [bad] });
      const err = await expectRejection(auth.salesforce.oauth2.authorize({ subject: 's' }), 'CONFIGURATION');
      expect((err as Error).message).toContain('SALESFORCE_ALLOWED_INSTANCE_ORIGINS');
    });
  }
});
