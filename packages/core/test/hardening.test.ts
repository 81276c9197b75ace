import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import {
  AuthManagerError, Credentials, ErrorCode, KNOWN_TOKEN_PREFIXES, RedactedCause, RETRYABLE_CODES, jsonCredentialCodec,
  matchesOriginPattern, redactToken, retryAfterSeconds,
} from '../src/provider.js';
import { scrubMessage } from '../src/RedactedCause.js';

const TOKEN = 'gho_Z9x8Y7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2';

describe('regression: foreign causes kept whole token responses (openid-client keeps cause.body)', () => {
  const foreign = Object.assign(new Error(`"response" body "token_type" property must be "bearer", got "${TOKEN}"`), {
    code: 'OAUTH_INVALID_RESPONSE',
    cause: { body: { access_token: TOKEN, refresh_token: 'r-' + TOKEN }, headers: { authorization: `Bearer ${TOKEN}` } },
  });
  const err = new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, 'bad response', { cause: foreign });

  it('the cause is a RedactedCause copy keeping name, code and status', () => {
    expect(err.cause).toBeInstanceOf(RedactedCause);
    expect(err.cause).toMatchObject({ name: 'Error', code: 'OAUTH_INVALID_RESPONSE' });
  });
  it('no token in inspect at any depth, JSON, or any message or stack of the chain', () => {
    const text = [inspect(err, { depth: Infinity, showHidden: true }), JSON.stringify(err)];
    for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) text.push(String((e as Error).message), String((e as Error).stack));
    expect(text.join('\n')).not.toContain(TOKEN);
  });
  it('known field names stay readable in the copied message', () => {
    expect((err.cause as Error).message).toContain('"token_type"');
  });
  it('a thrown string (which may be a token) keeps only its type', () => {
    const e = new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, 'x', { cause: TOKEN });
    expect((e.cause as Error).message).toBe('a thrown string');
  });
  it('an AuthManagerError cause is kept as it is', () => {
    const inner = new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, 'inner');
    expect(new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, 'outer', { cause: inner }).cause).toBe(inner);
  });
  it('nested causes are copied, bounded in depth', () => {
    let deep: Error = new Error(`bottom ${TOKEN}`);
    for (let i = 0; i < 20; i++) deep = new Error(`level ${i}`, { cause: deep });
    const e = new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, 'x', { cause: deep });
    let n = 0;
    for (let c: unknown = e.cause; c; c = (c as Error).cause) { expect(c).toBeInstanceOf(RedactedCause); n++; }
    expect(n).toBeLessThanOrEqual(6);
    expect(inspect(e, { depth: Infinity })).not.toContain(TOKEN);
  });
});

describe('scrubMessage', () => {
  it.each([
    [`Headers.set: "Bearer ${TOKEN}\n" is an invalid header value.`],
    [`Unexpected token 'a', "${TOKEN}"... is not valid JSON`],
    [`authorization: Bearer ${TOKEN}`],
    [`token ${TOKEN}`],
    [`no quotes ${TOKEN} here`],
  ])('removes the secret from %j', (message) => {
    expect(scrubMessage(message)).not.toContain(TOKEN);
    expect(scrubMessage(message)).not.toContain(TOKEN.slice(4, 20));
  });
  it('keeps ordinary words and codes', () => {
    expect(scrubMessage('connect ECONNREFUSED 127.0.0.1:6379')).toBe('connect ECONNREFUSED 127.0.0.1:6379');
    expect(scrubMessage('authorization_response_iss_parameter_supported is true')).toBe('authorization_response_iss_parameter_supported is true');
  });
});

describe('regression: redactToken showed the first characters of ~3.5% of random tokens', () => {
  it('a random token of the shape ^[a-z]{2,6}_ shows no prefix', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz';
    let shown = 0;
    for (let i = 0; i < 2000; i++) {
      const len = 2 + (i % 5);
      const head = Array.from(randomBytes(len), (b) => alphabet[b % 26]).join('');
      const token = `${head}_${randomBytes(16).toString('base64url')}`;
      if (!redactToken(token)!.startsWith('…')) shown++;
    }
    // Only a random head that happens to be a known prefix (ghp, gho, ntn, …) may show.
    expect(shown).toBeLessThan(5);
  });
  it('known provider prefixes are shown, with the length', () => {
    for (const p of KNOWN_TOKEN_PREFIXES) expect(redactToken(`${p}abcdef`)).toBe(`${p}…(${p.length + 6} chars)`);
    expect(redactToken('ab_cdefgh')).toBe('…(9 chars)');
  });
});

describe('regression: the codec accepted records it cannot re-encode', () => {
  const record = (o: Record<string, unknown>) => JSON.stringify({ v: 1, at: 'a', tt: 'Bearer', iat: 0, x: {}, raw: {}, ...o });
  it.each([
    ['an expiry a Date cannot hold', { exp: 8.64e15 + 1 }],
    ['an obtained-at a Date cannot hold', { iat: -1e17 }],
    ['nesting deeper than 32', { raw: JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) as object }],
    ['a __proto__ key', { raw: JSON.parse('{"__proto__":{"x":1}}') as object }],
    ['an access token with CR/LF', { at: 'a\r\nb' }],
    ['an access token with non-Latin-1', { at: 'a☃' }],
    ['a token type that is no auth scheme', { tt: 'Bearer x' }],
    ['an empty refresh token', { rt: '' }],
    ['non-string scopes', { sc: [1] }],
    ['extras that are an array', { x: [1] }],
  ])('rejects %s with INVALID_STORED_CREDENTIALS', (_name, fields) => {
    expect(() => jsonCredentialCodec.decode(record(fields))).toThrow(expect.objectContaining({ code: 'INVALID_STORED_CREDENTIALS' }));
  });
  it('still reads what it wrote', () => {
    const c = new Credentials({ accessToken: 'a b~', refreshToken: 'r', scopes: ['s'], expiresAt: new Date(2e12), raw: { n: { m: 1 } } });
    expect(jsonCredentialCodec.decode(jsonCredentialCodec.encode(c)).toInit()).toEqual(c.toInit());
  });
});

describe('regression: with the default 60 s skew a 5 s token was refreshed on every call', () => {
  const obtained = 1_700_000_000_000;
  const c = new Credentials({ accessToken: 'a', obtainedAt: new Date(obtained), expiresAt: new Date(obtained + 5000) });
  it('the skew is capped at half the lifetime', () => {
    expect(c.needsRefresh(60_000, obtained + 1000)).toBe(false);
    expect(c.needsRefresh(60_000, obtained + 2499)).toBe(false);
    expect(c.needsRefresh(60_000, obtained + 2500)).toBe(true);
  });
  it('long-lived tokens keep the full skew', () => {
    const hour = new Credentials({ accessToken: 'a', obtainedAt: new Date(obtained), expiresAt: new Date(obtained + 3_600_000) });
    expect(hour.needsRefresh(60_000, obtained + 3_540_000)).toBe(true);
    expect(hour.needsRefresh(60_000, obtained + 3_539_000)).toBe(false);
  });
  it('a token without expiry never needs one', () => {
    expect(new Credentials({ accessToken: 'a' }).needsRefresh(60_000)).toBe(false);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    expect(retryAfterSeconds(new Headers({ 'retry-after': '120' }))).toBe(120);
    expect(retryAfterSeconds(new Headers({ 'retry-after': new Date(10_000_000 + 30_000).toUTCString() }), 10_000_000)).toBe(30);
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterSeconds(new Headers())).toBeUndefined();
  });
});

describe('origin patterns', () => {
  const patterns = ['https://*.my.salesforce.com', 'https://login.salesforce.com'];
  it.each([
    ['https://acme.my.salesforce.com', true],
    ['https://ACME.My.Salesforce.com/x', true],
    ['https://a.b.my.salesforce.com', true],
    ['https://login.salesforce.com:443', true],
    ['https://my.salesforce.com', false],
    ['https://acme.my.salesforce.com.evil.test', false],
    ['https://evil.test@acme.my.salesforce.com', false],
    ['http://acme.my.salesforce.com', false],
    ['https://acme.my.salesforce.com:8443', false],
    ['https://evilmy.salesforce.com', false],
    ['not a url', false],
  ])('%s → %s', (url, ok) => {
    expect(matchesOriginPattern(url, patterns)).toBe(ok);
  });
});

describe('the error table in docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (yes|no) \|/gm)].map((m) => [m[1], m[2] === 'yes']));
  it('lists every code, with its retryability as the code says', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ErrorCode).sort());
    for (const code of Object.values(ErrorCode)) expect({ code, retryable: rows.get(code) }).toEqual({ code, retryable: RETRYABLE_CODES.has(code) });
  });
  it('retryable follows the table', () => {
    expect(new AuthManagerError(ErrorCode.RATE_LIMITED, 'x').retryable).toBe(true);
    expect(new AuthManagerError(ErrorCode.REAUTHORIZATION_REQUIRED, 'x').retryable).toBe(false);
  });
  it('is() takes one code or a list', () => {
    const e = new AuthManagerError(ErrorCode.LOCK_TIMEOUT, 'x');
    expect(AuthManagerError.is(e, [ErrorCode.STORE_UNAVAILABLE, ErrorCode.LOCK_TIMEOUT])).toBe(true);
    expect(AuthManagerError.is(e, [ErrorCode.STORE_UNAVAILABLE])).toBe(false);
  });
});
