import { describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, envFrom, type EnvSource } from '@authmanager/core';
import { salesforce, SALESFORCE_SANDBOX_LOGIN_URL } from '../src/index.js';
import { expectRejection } from '@authmanager/testing/providers';

// Quirk: one provider, three kinds of login host (production, sandbox, My Domain); every OAuth
// endpoint is derived from `loginUrl` unless the original's endpoint env keys override it.

const client = { clientId: 'cid', clientSecret: 'secret', redirectUri: 'https://app.example/callback' };

/** A manager whose `fetch` records each URL and fails (nothing leaves the machine). */
function recording(appCredentials: Parameters<typeof salesforce>[0], env: EnvSource = () => undefined) {
  const urls: string[] = [];
  const auth = new AuthManager({
    providers: [salesforce(appCredentials)],
    env,
    fetch: async (input) => {
      urls.push(String(input instanceof Request ? input.url : input));
      throw new TypeError('fetch failed');
    },
  });
  return { auth, urls };
}

async function endpointsOf(appCredentials: Parameters<typeof salesforce>[0], env?: EnvSource) {
  const { auth, urls } = recording(appCredentials, env);
  const { url, state } = await auth.salesforce.oauth2.authorize({ subject: 's' });
  const exchange = await auth.salesforce.oauth2.exchange({ code: 'c', state }).catch((err: unknown) => err);
  return { authorize: `${url.origin}${url.pathname}`, token: urls[0], exchange };
}

describe('login hosts', () => {
  it('defaults to production, https://login.salesforce.com', async () => {
    const e = await endpointsOf(client);
    expect(e.authorize).toBe('https://login.salesforce.com/services/oauth2/authorize');
    expect(e.token).toBe('https://login.salesforce.com/services/oauth2/token');
  });

  it('uses https://test.salesforce.com for a sandbox', async () => {
    const e = await endpointsOf({ ...client, loginUrl: SALESFORCE_SANDBOX_LOGIN_URL });
    expect(e.authorize).toBe('https://test.salesforce.com/services/oauth2/authorize');
    expect(e.token).toBe('https://test.salesforce.com/services/oauth2/token');
  });

  it('derives the endpoints from a My Domain in SALESFORCE_LOGIN_URL (trailing slash ignored)', async () => {
    const e = await endpointsOf(client, envFrom({ SALESFORCE_LOGIN_URL: 'https://acme.my.salesforce.com/' }));
    expect(e.authorize).toBe('https://acme.my.salesforce.com/services/oauth2/authorize');
    expect(e.token).toBe('https://acme.my.salesforce.com/services/oauth2/token');
  });

  it('maps a network failure at the token endpoint to PROVIDER_UNAVAILABLE', async () => {
    const e = await endpointsOf(client);
    expect(AuthManagerError.is(e.exchange, 'PROVIDER_UNAVAILABLE')).toBe(true);
  });

  it('lets SALESFORCE_AUTHORIZATION_URL and SALESFORCE_TOKEN_URL override the derived endpoints', async () => {
    const e = await endpointsOf(client, envFrom({
      SALESFORCE_LOGIN_URL: 'https://acme.my.salesforce.com',
      SALESFORCE_AUTHORIZATION_URL: 'https://sso.acme.example/services/oauth2/authorize',
      SALESFORCE_TOKEN_URL: 'https://proxy.acme.example/services/oauth2/token',
    }));
    expect(e.authorize).toBe('https://sso.acme.example/services/oauth2/authorize');
    expect(e.token).toBe('https://proxy.acme.example/services/oauth2/token');
  });

  it('accepts the original\'s aliases SALESFORCE_AUTHORIZE_URL and SALESFORCE_ACCESS_TOKEN_URL', async () => {
    const e = await endpointsOf(client, envFrom({
      SALESFORCE_AUTHORIZE_URL: 'https://a.example/authorize',
      SALESFORCE_ACCESS_TOKEN_URL: 'https://a.example/token',
    }));
    expect(e.authorize).toBe('https://a.example/authorize');
    expect(e.token).toBe('https://a.example/token');
  });

  it('prefers a value given to the factory over the env', async () => {
    const e = await endpointsOf({ ...client, loginUrl: 'https://factory.my.salesforce.com' }, envFrom({ SALESFORCE_LOGIN_URL: 'https://env.my.salesforce.com' }));
    expect(e.authorize).toBe('https://factory.my.salesforce.com/services/oauth2/authorize');
  });

  it('reads the client from SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET / SALESFORCE_REDIRECT_URI', async () => {
    const { auth } = recording({}, envFrom({
      SALESFORCE_CLIENT_ID: 'env-cid', SALESFORCE_CLIENT_SECRET: 'env-secret', SALESFORCE_REDIRECT_URI: 'https://env.example/cb',
    }));
    const { url } = await auth.salesforce.oauth2.authorize({ subject: 's' });
    expect(url.searchParams.get('client_id')).toBe('env-cid');
    expect(url.searchParams.get('redirect_uri')).toBe('https://env.example/cb');
  });

  it('refuses a plain-http login host off loopback with CONFIGURATION naming SALESFORCE_LOGIN_URL', async () => {
    const { auth } = recording({ ...client, loginUrl: 'http://login.salesforce.com' });
    const err = await expectRejection(auth.salesforce.oauth2.authorize({ subject: 's' }), 'CONFIGURATION');
    expect((err as Error).message).toContain('SALESFORCE_LOGIN_URL');
  });

  it('names the env keys when the client id is missing', async () => {
    const { auth } = recording({});
    const err = await expectRejection(auth.salesforce.oauth2.authorize({ subject: 's' }), 'CONFIGURATION');
    expect((err as Error).message).toContain('SALESFORCE_CLIENT_ID');
  });

  it('sends the configured default scopes, and the scopes a caller asks for instead', async () => {
    const { auth } = recording({ ...client, defaultScopes: 'api id offline_access' });
    const byDefault = await auth.salesforce.oauth2.authorize({ subject: 's' });
    const asked = await auth.salesforce.oauth2.authorize({ subject: 's', scopes: ['openid', 'api'] });
    expect(byDefault.url.searchParams.get('scope')).toBe('api id offline_access');
    expect(asked.url.searchParams.get('scope')).toBe('openid api');
  });
});
