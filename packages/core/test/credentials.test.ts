import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { AuthManagerError, Credentials, jsonCredentialCodec, redactToken } from '../src/index.js';

const ACCESS = 'at_SECRET_access_0123456789';
const REFRESH = 'rt_SECRET_refresh_0123456789';
const ID = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ.';

function sample(): Credentials<{ workspace_id: string }> {
  return new Credentials({
    accessToken: ACCESS, refreshToken: REFRESH, idToken: ID, scopes: ['a', 'b'],
    expiresAt: new Date(1_800_000_000_000), obtainedAt: new Date(1_700_000_000_000),
    extras: { workspace_id: 'ws-1' }, raw: { request_id: 'r-1' },
  });
}

describe('Credentials redaction', () => {
  const creds = sample();
  const outputs = {
    json: JSON.stringify(creds),
    inspect: inspect(creds, { depth: 10, showHidden: true }),
    string: String(creds),
    spread: JSON.stringify({ ...creds }),
    keys: Object.keys(creds).join(','),
    nested: inspect({ wrapper: { creds } }, { depth: 10 }),
  };
  for (const [name, text] of Object.entries(outputs)) {
    it(`${name} output shows no token`, () => {
      expect(text).not.toContain(ACCESS);
      expect(text).not.toContain(REFRESH);
      expect(text).not.toContain(ID);
    });
  }
  it('still shows non-secret fields', () => {
    expect(outputs.json).toContain('ws-1');
    expect(outputs.inspect).toContain('[redacted]');
  });
  it('getters return the secrets to code', () => {
    expect(creds.accessToken).toBe(ACCESS);
    expect(creds.refreshToken).toBe(REFRESH);
  });
  it('redactToken keeps only the kind prefix and length', () => {
    expect(redactToken('gho_abcdefghijklmnop')).toBe('gho_…(20 chars)');
    expect(redactToken('plainsecretvalue')).toBe('…(16 chars)');
  });
});

describe('Credentials expiry', () => {
  it('expiresWithin compares expiresAt minus skew with now (ms)', () => {
    const c = new Credentials({ accessToken: 'x', expiresAt: new Date(10_000) });
    expect(c.expiresWithin(1_000, 8_999)).toBe(false);
    expect(c.expiresWithin(1_000, 9_000)).toBe(true);
  });
  it('tokens without expiresAt never expire', () => {
    expect(new Credentials({ accessToken: 'x' }).expiresWithin(1e12, Date.now())).toBe(false);
  });
  it('idTokenClaims decodes the payload', () => {
    expect(sample().idTokenClaims()).toEqual({ sub: 'user-1' });
  });
  it('rejects an empty access token', () => {
    expect(() => new Credentials({ accessToken: '' })).toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
  });
});

// `with` copies the checked fields of a valid credential without checking them again unless the
// changes replace one of them; a forged second constructor argument never skips the checks.
describe('Credentials.with', () => {
  it('keeps every other field, times included, when only the connection changes', () => {
    const base = sample().with({ refreshTokenExpiresAt: new Date(1_900_000_000_000) });
    const changed = base.with({ connection: { status: 'active', connectedAtMs: 5 } });
    expect({ ...changed.toInit(), connection: undefined }).toEqual({ ...base.toInit(), connection: undefined });
    expect({
      connection: changed.connection, expiresAtMs: changed.expiresAtMs, obtainedAtMs: changed.obtainedAtMs,
      refreshTokenExpiresAtMs: changed.refreshTokenExpiresAtMs, frozen: Object.isFrozen(changed.connection),
    }).toEqual({
      connection: { status: 'active', connectedAtMs: 5 }, expiresAtMs: 1_800_000_000_000, obtainedAtMs: 1_700_000_000_000,
      refreshTokenExpiresAtMs: 1_900_000_000_000, frozen: true,
    });
  });
  it('replaces and removes fields as given', () => {
    const changed = sample().with({ scopes: ['c'], idToken: undefined, extras: { workspace_id: 'ws-2' }, expiresAt: undefined });
    expect({ scopes: changed.scopes, idToken: changed.idToken, extras: changed.extras, expiresAt: changed.expiresAt, refreshToken: changed.refreshToken })
      .toEqual({ scopes: ['c'], idToken: undefined, extras: { workspace_id: 'ws-2' }, expiresAt: undefined, refreshToken: REFRESH });
  });
  it.each([
    ['an access token with a line break', { accessToken: 'a\nb' }],
    ['an empty refresh token', { refreshToken: '' }],
    ['an invalid expiry', { expiresAt: new Date(Number.NaN) }],
    ['a token type that is no auth scheme', { tokenType: 'Bearer x' }],
  ])('checks a replaced field: %s', (_name, changes) => {
    expect(() => sample().with(changes)).toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
  });
  it('checks every field when the second constructor argument is not the package\'s own', () => {
    const forged = { [Symbol('authmanager.checkedCredentials')]: true, expiresAtMs: 1, obtainedAtMs: 1, refreshTokenExpiresAtMs: undefined };
    expect(() => new (Credentials as unknown as new (init: object, checked: object) => Credentials)({ accessToken: 'a\nb' }, forged))
      .toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
  });
});

describe('jsonCredentialCodec', () => {
  it('round-trips every field', () => {
    const back = jsonCredentialCodec.decode(jsonCredentialCodec.encode(sample()));
    expect(back.toInit()).toEqual(sample().toInit());
  });
  it('round-trips the connection state and the refresh token expiry (format version 2), frozen', () => {
    const state = { status: 'reauthorization_required', lastErrorCode: 'TOKEN_REFRESH_FAILED', connectedAtMs: 1, lastRefreshedAtMs: 2, failureCount: 3, retryAtMs: 4 } as const;
    const original = sample().with({ connection: state, refreshTokenExpiresAt: new Date(1_900_000_000_000) });
    const encoded = jsonCredentialCodec.encode(original);
    const back = jsonCredentialCodec.decode(encoded);
    expect({ v: JSON.parse(encoded).v, init: back.toInit(), frozen: Object.isFrozen(back.connection) })
      .toEqual({ v: 2, init: original.toInit(), frozen: true });
  });
  it('stores each token exactly once', () => {
    const encoded = jsonCredentialCodec.encode(sample());
    expect(encoded.split(ACCESS).length - 1).toBe(1);
    expect(encoded.split(REFRESH).length - 1).toBe(1);
  });
  it.each([
    ['not JSON', `{"v":1,"at":"${ACCESS}"`],
    ['unknown version', `{"v":99,"at":"${ACCESS}","tt":"Bearer"}`],
    ['wrong field type', `{"v":1,"at":"${ACCESS}","tt":"Bearer","exp":"soon"}`],
  ])('rejects %s with INVALID_STORED_CREDENTIALS and no token in the error', (_name, value) => {
    let caught: unknown;
    try { jsonCredentialCodec.decode(value); } catch (err) { caught = err; }
    expect(AuthManagerError.is(caught, 'INVALID_STORED_CREDENTIALS')).toBe(true);
    expect(inspect(caught, { depth: 10 })).not.toContain(ACCESS);
    expect(JSON.stringify(caught)).not.toContain(ACCESS);
  });
});

describe('recordKeyId', () => {
  it('does not collide when provider or subject contain separators', async () => {
    const { recordKeyId } = await import('../src/store.js');
    const a = recordKeyId({ kind: 'credentials', provider: 'a\u0000b', subject: 'c' });
    const b = recordKeyId({ kind: 'credentials', provider: 'a', subject: 'b\u0000c' });
    const c = recordKeyId({ kind: 'credentials', provider: 'a:1', subject: 'x' });
    const d = recordKeyId({ kind: 'credentials', provider: 'a', subject: '1:x' });
    expect(new Set([a, b, c, d]).size).toBe(4);
  });
});
