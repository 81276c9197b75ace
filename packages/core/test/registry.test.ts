import { describe, expect, it } from '@jest/globals';
import {
  AuthManager, AuthManagerError, appField, defineProvider, envFrom, oauthClientFields, z,
  type AppCredentialFields, type ProviderDefinition,
} from '../src/index.js';

const fields = {
  ...oauthClientFields('ACME'),
  version: appField({ schema: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), env: ['ACME_VERSION', 'ACME_API_VERSION'], default: '2024-01-01', description: 'API version' }),
  token: appField({ schema: z.string().min(1).optional(), env: ['ACME_TOKEN'], secret: true, description: 'Static token' }),
} satisfies AppCredentialFields;

const acme = defineProvider({
  id: 'acme',
  displayName: 'Acme',
  appCredentials: fields,
  oauth2: {
    server: () => ({ authorizationEndpoint: 'https://acme.invalid/authorize', tokenEndpoint: 'https://acme.invalid/token' }),
    clientAuthentication: 'client_secret_basic',
  },
  staticToken: (app) => (app.token ? { accessToken: app.token } : undefined),
  api: { baseUrl: 'https://api.acme.invalid/v2', headers: ({ app }) => ({ 'Acme-Version': app.version }) },
} satisfies ProviderDefinition<'acme', typeof fields>);

describe('app credentials', () => {
  it('take constructor values over env over defaults', () => {
    const auth = new AuthManager({ providers: [acme({ clientId: 'from-ctor' })], env: envFrom({ ACME_CLIENT_ID: 'from-env', ACME_API_VERSION: '2025-05-05' }) });
    expect(auth.acme.app().clientId).toBe('from-ctor');
    expect(auth.acme.app().version).toBe('2025-05-05');
  });
  it('fall back to the default', () => {
    const auth = new AuthManager({ providers: [acme()], env: envFrom({}) });
    expect(auth.acme.app().version).toBe('2024-01-01');
  });
  it('read only the provider\'s own prefixed keys', () => {
    const read: string[] = [];
    const auth = new AuthManager({ providers: [acme()], env: (k) => { read.push(k); return undefined; } });
    auth.acme.app();
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((k) => k.startsWith('ACME_'))).toBe(true);
  });
  it('a malformed value is a CONFIGURATION error naming the field and env keys, not the value', () => {
    const auth = new AuthManager({ providers: [acme()], env: envFrom({ ACME_VERSION: 'yesterday-secret' }) });
    let caught: unknown;
    try { auth.acme.app(); } catch (err) { caught = err; }
    expect(AuthManagerError.is(caught, 'CONFIGURATION')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('"version"');
    expect(message).toContain('ACME_VERSION or ACME_API_VERSION');
    expect(message).not.toContain('yesterday-secret');
  });
  it('a missing client id fails the flow with CONFIGURATION naming ACME_CLIENT_ID', async () => {
    const auth = new AuthManager({ providers: [acme()], env: envFrom({}) });
    expect(auth.acme.missingForOAuth().map((m) => m.env[0])).toEqual(['ACME_CLIENT_ID', 'ACME_CLIENT_SECRET']);
    await expect(auth.acme.oauth2.authorize({ subject: 's' })).rejects.toThrow(/ACME_CLIENT_ID/);
  });
});

describe('registry', () => {
  it('registers nothing on import: a factory call only describes a module', () => {
    const registration = acme({ clientId: 'x' });
    expect(registration.id).toBe('acme');
    expect(new AuthManager({ providers: [] }).providerIds).toEqual([]);
  });
  it('resolves providers through inversify by id and with getAll', () => {
    const auth = new AuthManager({ providers: [acme()] });
    expect(auth.providerIds).toEqual(['acme']);
    expect(auth.provider('acme').displayName).toBe('Acme');
  });
  it('rejects a duplicate id', () => {
    expect(() => new AuthManager({ providers: [acme(), acme()] })).toThrow(/registered twice/);
  });
  it('rejects an id that collides with a member', () => {
    const bad = defineProvider({ id: 'session', displayName: 'Bad', appCredentials: {} } satisfies ProviderDefinition<'session', Record<string, never>>);
    expect(() => new AuthManager({ providers: [bad()] })).toThrow(/collides/);
  });
  it('unknown ids are PROVIDER_NOT_REGISTERED', async () => {
    const auth = new AuthManager({ providers: [acme()] });
    expect(() => auth.provider('nope')).toThrow(expect.objectContaining({ code: 'PROVIDER_NOT_REGISTERED' }));
    await expect(auth.storeCredentials('nope', 's', { accessToken: 'x' })).rejects.toMatchObject({ code: 'PROVIDER_NOT_REGISTERED' });
  });
});

describe('sessions without OAuth', () => {
  it('use the static token with the binding\'s base URL and headers', async () => {
    const seen: Request[] = [];
    const auth = new AuthManager({
      providers: [acme()],
      env: envFrom({ ACME_TOKEN: 'static-token-1' }),
      fetch: async (input, init) => { seen.push(new Request(input, init)); return new Response('{}', { status: 200 }); },
    });
    await auth.withSession('s', async (session) => {
      expect(await session.accessToken('acme')).toBe('static-token-1');
      await session.fetch('acme', '/things?x=1');
    });
    expect(seen[0]?.url).toBe('https://api.acme.invalid/v2/things?x=1');
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer static-token-1');
    expect(seen[0]?.headers.get('acme-version')).toBe('2024-01-01');
  });
  it('refuse to send the token to another origin', async () => {
    const auth = new AuthManager({ providers: [acme()], env: envFrom({ ACME_TOKEN: 't' }), fetch: async () => new Response('') });
    await using session = await auth.session('s');
    await expect(session.fetch('acme', 'https://evil.invalid/steal')).rejects.toMatchObject({ code: 'CONFIGURATION' });
  });
  it('a missing credential for one provider does not break the session', async () => {
    const other = defineProvider({ id: 'other', displayName: 'Other', appCredentials: {}, api: { baseUrl: 'https://o.invalid' } } satisfies ProviderDefinition<'other', Record<string, never>>);
    const auth = new AuthManager({ providers: [acme(), other()], env: envFrom({ ACME_TOKEN: 't' }) });
    await using session = await auth.session('s');
    await expect(session.accessToken('other')).rejects.toMatchObject({ code: 'CREDENTIALS_NOT_FOUND' });
    expect(await session.accessToken('acme')).toBe('t');
  });
  it('providers filter and withCredentials', async () => {
    const auth = new AuthManager({ providers: [acme()], env: envFrom({}) });
    await using filtered = await auth.session('s', { providers: [] });
    await expect(filtered.accessToken('acme')).rejects.toMatchObject({ code: 'PROVIDER_NOT_IN_SESSION' });
    await using given = await auth.session('s', { withCredentials: { acme: { accessToken: 'given' } } });
    expect(await given.acme.accessToken()).toBe('given');
    expect(await auth.loadCredentials('acme', 's')).toBeUndefined();
  });
  it('stored credentials win over the static token', async () => {
    const auth = new AuthManager({ providers: [acme()], env: envFrom({ ACME_TOKEN: 'static' }) });
    await auth.storeCredentials('acme', 's', { accessToken: 'stored' });
    await using session = await auth.session('s');
    expect(await session.accessToken('acme')).toBe('stored');
  });
});

describe('session lifetime', () => {
  it('a disposed session refuses use with SESSION_CLOSED and forgets its credentials', async () => {
    const auth = new AuthManager({ providers: [acme()], env: envFrom({ ACME_TOKEN: 't' }) });
    const session = await auth.session('s');
    expect(await session.accessToken('acme')).toBe('t');
    await session[Symbol.asyncDispose]();
    await expect(session.accessToken('acme')).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });
});
