import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type RecordKey } from '@authmanager/core';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisCredentialStore } from '../src/index.js';

// Records written before the string format (format 1) are hashes: `v` version, `r` =
// `<version>:<value>`, `w` write id. They must keep reading, and a write moves them to a string.
let server: RedisServerHandle;
let raw: Redis;
let store: RedisCredentialStore;
const PREFIX = 'fmt:';

beforeAll(async () => {
  server = await startRedisServer();
  raw = new Redis(server.url);
  store = new RedisCredentialStore({ redis: server.url, keyPrefix: PREFIX });
});
afterAll(async () => {
  await store.close();
  raw.disconnect();
  await server.stop();
});

/** Writes a record as the hash-format store wrote it. */
async function writeLegacy(version: number, value: string, kind: RecordKey['kind'] = 'credentials'): Promise<{ key: RecordKey; redisKey: string }> {
  const key: RecordKey = { kind, provider: 'notion', subject: `legacy-${randomBytes(6).toString('hex')}` };
  const redisKey = `${PREFIX}${kind}:{notion:${key.subject}}`;
  await raw.hset(redisKey, 'v', String(version), 'r', `${version}:${value}`, 'w', 'old-write-id');
  return { key, redisKey };
}

describe('records in the earlier hash format', () => {
  it('reads a hash record with its version and value (a value with colons intact)', async () => {
    const { key } = await writeLegacy(7, '{"v":1,"at":"a:b"}');
    expect(await store.get(key)).toEqual({ value: '{"v":1,"at":"a:b"}', version: 7 });
  });

  it('continues the version on the next write and stores it as a string', async () => {
    const { key, redisKey } = await writeLegacy(3, 'old');
    const written = await store.set(key, 'new', { ifVersion: 3 });
    expect({ written, type: await raw.type(redisKey), read: await store.get(key) })
      .toEqual({ written: { value: 'new', version: 4 }, type: 'string', read: { value: 'new', version: 4 } });
  });

  it('refuses a stale compare-and-set on a hash record with STORE_CONFLICT and leaves it as it was', async () => {
    const { key, redisKey } = await writeLegacy(3, 'old');
    const err = await store.set(key, 'new', { ifVersion: 2 }).then(() => undefined, (e: unknown) => e);
    expect({ code: AuthManagerError.is(err) ? err.code : err, type: await raw.type(redisKey), read: await store.get(key) })
      .toEqual({ code: 'STORE_CONFLICT', type: 'hash', read: { value: 'old', version: 3 } });
  });

  it('takes a hash record (pending authorizations written before the upgrade)', async () => {
    const { key } = await writeLegacy(1, 'pending-value', 'pending');
    expect({ taken: await store.take(key), after: await store.get(key) }).toEqual({ taken: { value: 'pending-value', version: 1 }, after: undefined });
  });

  it('deletes a hash record with ifVersion', async () => {
    const { key } = await writeLegacy(5, 'x');
    expect({ deleted: await store.delete(key, { ifVersion: 5 }), after: await store.get(key) }).toEqual({ deleted: true, after: undefined });
  });

  it('lists hash and string records alike', async () => {
    const { key: legacy } = await writeLegacy(1, 'x');
    const current: RecordKey = { kind: 'credentials', provider: 'notion', subject: `current-${randomBytes(6).toString('hex')}` };
    await store.set(current, 'y');
    const listed: string[] = [];
    for await (const key of store.list({ kind: 'credentials', provider: 'notion' })) listed.push(key.subject);
    expect(listed).toEqual(expect.arrayContaining([legacy.subject, current.subject]));
  });
});

describe('string format', () => {
  it('reads a string that is not in the store format as INVALID_STORED_CREDENTIALS', async () => {
    const key: RecordKey = { kind: 'credentials', provider: 'notion', subject: 'garbage' };
    await raw.set(`${PREFIX}credentials:{notion:garbage}`, 'no version here');
    const err = await store.get(key).then(() => undefined, (e: unknown) => e);
    expect(AuthManagerError.is(err, 'INVALID_STORED_CREDENTIALS')).toBe(true);
  });

  it('keeps a credential record within 1.3x the MEMORY USAGE of a plain SET of the same value under the same key', async () => {
    const value = JSON.stringify({ v: 1, at: 'a'.repeat(64), tt: 'Bearer', rt: 'r'.repeat(64), sc: ['openid', 'api:read'], exp: Date.now(), iat: Date.now(), x: {}, raw: {} });
    const key: RecordKey = { kind: 'credentials', provider: 'sandbox', subject: 'user-123456' };
    await store.set(key, value);
    await store.set(key, value);
    const redisKey = `${PREFIX}credentials:{sandbox:user-123456}`;
    const ours = Number(await raw.memory('USAGE', redisKey));
    await raw.set(redisKey, value);
    const plain = Number(await raw.memory('USAGE', redisKey));
    expect(ours / plain).toBeLessThanOrEqual(1.3);
  });
});
