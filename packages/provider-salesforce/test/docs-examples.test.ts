// The snippets of docs/providers/salesforce.md and README.md, run as tests: keep the regions and
// the docs in step.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, envFrom } from '@authmanager/core';
import { salesforce } from '../src/index.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';

let sf: SalesforceEmulator;
// The flow snippet is production code, where instance_url is on https://*.salesforce.com; the
// emulator's instances are loopback, which a deployment opts in to through the environment the
// snippet's AuthManager reads by default (process.env).
beforeAll(async () => {
  sf = await startSalesforceEmulator();
  process.env.SALESFORCE_ALLOWED_INSTANCE_ORIGINS = sf.instanceUrls.join(' ');
});
afterAll(async () => {
  delete process.env.SALESFORCE_ALLOWED_INSTANCE_ORIGINS;
  await sf.close();
});

describe('docs examples', () => {
  it('OAuth flow', async () => {
    const { clientId, clientSecret, redirectUri, loginUrl } = sf;
    // #region flow
    const auth = new AuthManager({
      providers: [salesforce({ clientId, clientSecret, redirectUri, loginUrl })],
    });

    // Step 1: send the user to Salesforce's login and consent page
    const { url } = await auth.salesforce.oauth2.authorize({ subject: 'user-123' });

    // Step 2: Salesforce redirects to redirectUri?code=…&state=…; exchange the code and store the credentials
    const callbackUrl = await approve(url); // your callback route receives this URL
    const { credentials } = await auth.salesforce.oauth2.complete({ callbackUrl });

    // Step 3: use the org's REST API (the token is refreshed when it expires or gets a 401)
    await using session = await auth.session('user-123');
    const limits = await session.fetch('salesforce', 'limits'); // GET {instance_url}/services/data/v64.0/limits
    const conn = await session.salesforce.client(); // a jsforce Connection, refreshed through the session
    const me = await conn.identity();
    // #endregion
    expect(limits.status).toBe(200);
    expect(me.user_id).toBe(sf.account.userId);
    expect(credentials.extras).toEqual(expect.objectContaining({ instance_url: sf.instanceUrl }));
  });

  it('static token', async () => {
    const { accessToken: token, instanceUrl: instance } = sf.issueAccessToken();
    // #region static
    // SALESFORCE_ACCESS_TOKEN=00D…!AQ… SALESFORCE_INSTANCE_URL=https://acme.my.salesforce.com
    const auth = new AuthManager({
      providers: [salesforce()],
      env: envFrom({ SALESFORCE_ACCESS_TOKEN: token, SALESFORCE_INSTANCE_URL: instance }), // default: process.env
    });
    await using session = await auth.session('ops');
    const res = await session.fetch('salesforce', 'limits');
    // #endregion
    expect(res.status).toBe(200);
  });

  it('testing with the emulator', async () => {
    // #region emulator
    // import { startSalesforceEmulator } from '@authmanager/testing';
    const emulator = await startSalesforceEmulator({ rotateRefreshTokens: true });
    const auth = new AuthManager({
      providers: [salesforce({
        loginUrl: emulator.loginUrl, // every OAuth endpoint is derived from it
        allowedInstanceOrigins: emulator.instanceUrls, // loopback instances: only when listed
        clientId: emulator.clientId, clientSecret: emulator.clientSecret, redirectUri: emulator.redirectUri,
      })],
    });
    const { url } = await auth.salesforce.oauth2.authorize({ subject: 'user-1' });
    const callbackUrl = await emulator.approve(url); // the emulator approves at once: where its 302 points
    await auth.salesforce.oauth2.complete({ callbackUrl });

    emulator.expireAccessTokens(); // the org ends the session early
    await using session = await auth.session('user-1');
    const res = await session.fetch('salesforce', 'limits'); // 401 → refresh → retried once

    const [exchange] = emulator.requests('token');
    new URLSearchParams(exchange!.body).get('client_secret'); // the secret went in the form body
    emulator.requestCount('api'); // 2
    await emulator.close();
    // #endregion
    expect(res.status).toBe(200);
    expect(new URLSearchParams(exchange!.body).get('client_secret')).toBe(emulator.clientSecret);
    expect(emulator.requestCount('api')).toBe(2);
  });
});
