import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialStore, RecordKey } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { run, workspace, type RunResult, type Workspace } from './helpers.js';

const RECORDS = 25;
const keyOf = (i: number): RecordKey => ({ kind: 'credentials', provider: i % 2 ? 'github' : 'notion', subject: `user-${i}` });
const valueOf = (i: number, generation = 0): string => JSON.stringify({ v: 2, marker: `plaintext-marker-${i}-${generation}` });

async function dump(store: CredentialStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const key of store.list({ kind: 'credentials' })) out.set(`${key.provider}/${key.subject}`, (await store.get(key))!.value);
  return out;
}

describe('migrate between Redis and SQLite', () => {
  let redis: RedisServerHandle;
  let ws: Workspace;
  let sqliteFile: string;
  let keyFile: string;
  let first: RunResult;
  let again: RunResult;
  let afterChange: RunResult;
  let back: RunResult;
  let backRecords: Map<string, string>;

  beforeAll(async () => {
    redis = await startRedisServer();
    ws = await workspace();
    sqliteFile = join(ws.project, 'creds.db');
    keyFile = join(ws.project, 'creds.key');
    const source = new RedisCredentialStore({ redis: redis.url });
    for (let i = 0; i < RECORDS; i++) await source.set(keyOf(i), valueOf(i));
    first = await run(ws, ['migrate', '--from', redis.url, '--to', `sqlite:${sqliteFile}`, '--to-key', keyFile, '--json']);
    again = await run(ws, ['migrate', '--from', redis.url, '--to', `sqlite:${sqliteFile}`, '--to-key', keyFile, '--json']);
    await source.set(keyOf(3), valueOf(3, 1));
    afterChange = await run(ws, ['migrate', '--from', redis.url, '--to', `sqlite:${sqliteFile}`, '--to-key', keyFile, '--json']);
    await source.close();
    back = await run(ws, ['migrate', '--from', `sqlite:${sqliteFile}`, '--from-key', keyFile, '--to', `${redis.url}/2`, '--json']);
    const target = new RedisCredentialStore({ redis: `${redis.url}/2` });
    backRecords = await dump(target);
    await target.close();
  });
  afterAll(async () => { await redis?.stop(); await ws?.cleanup(); });

  it('copies every record and verifies the count in the target', () => {
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ sourceRecords: RECORDS, copied: RECORDS, skipped: 0, verified: RECORDS, targetRecords: RECORDS, ok: true });
  });

  it('run again, it copies nothing (resumable)', () => {
    expect(JSON.parse(again.stdout)).toMatchObject({ copied: 0, skipped: RECORDS, verified: RECORDS, targetRecords: RECORDS, ok: true });
  });

  it('a record changed at the source is copied again, the rest skipped', () => {
    expect(JSON.parse(afterChange.stdout)).toMatchObject({ copied: 1, skipped: RECORDS - 1, verified: RECORDS });
  });

  it('the SQLite target is encrypted with the key file (no plaintext in it), the key file mode 0600', () => {
    const bytes = Buffer.concat([readFileSync(sqliteFile), existsSync(`${sqliteFile}-wal`) ? readFileSync(`${sqliteFile}-wal`) : Buffer.alloc(0)]);
    expect(bytes.includes('plaintext-marker')).toBe(false);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('back from the encrypted SQLite file to another Redis database: same records, same count', () => {
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ copied: RECORDS, verified: RECORDS, targetRecords: RECORDS, ok: true });
    expect(backRecords.size).toBe(RECORDS);
    expect(backRecords.get('github/user-3')).toBe(valueOf(3, 1));
    expect(backRecords.get('notion/user-24')).toBe(valueOf(24));
  });

  it('no password or value in the output', () => {
    expect(first.stdout + first.stderr + back.stdout).not.toContain('plaintext-marker');
  });
});

describe('keys rotate on the local store', () => {
  let redis: RedisServerHandle;
  let ws: Workspace;
  let rotated: RunResult;
  let resumed: RunResult;
  let oldKey: string;
  let newKey: string;
  let afterwards: Map<string, string>;

  beforeAll(async () => {
    redis = await startRedisServer();
    ws = await workspace();
    const source = new RedisCredentialStore({ redis: redis.url });
    for (let i = 0; i < RECORDS; i++) await source.set(keyOf(i), valueOf(i));
    await source.close();
    expect((await run(ws, ['migrate', '--from', redis.url, '--to', 'local'])).code).toBe(0);
    oldKey = readFileSync(join(ws.configDir, 'local.key'), 'utf8');
    rotated = await run(ws, ['keys', 'rotate', '--json']);
    newKey = readFileSync(join(ws.configDir, 'local.key'), 'utf8');
    // As if the rotation had stopped half-way: the marker is left, so the next run resumes under the same key.
    writeFileSync(join(ws.configDir, 'rotation.json'), '{}\n');
    resumed = await run(ws, ['keys', 'rotate', '--json']);
    expect((await run(ws, ['migrate', '--from', 'local', '--to', `${redis.url}/3`])).code).toBe(0);
    const copy = new RedisCredentialStore({ redis: `${redis.url}/3` });
    afterwards = await dump(copy);
    await copy.close();
  });
  afterAll(async () => { await redis?.stop(); await ws?.cleanup(); });

  it('makes a new local key and keeps the old one in keys/', () => {
    expect(newKey).not.toBe(oldKey);
    const kept = readdirSync(join(ws.configDir, 'keys')).map((f) => readFileSync(join(ws.configDir, 'keys', f), 'utf8'));
    expect(kept).toEqual([oldKey]);
  });

  it('re-encrypts every record under the new key', () => {
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ newKey: true, scanned: RECORDS, reencrypted: RECORDS, skipped: 0, failed: 0 });
  });

  it('an interrupted rotation resumes under the same key: nothing left to do', () => {
    const r = JSON.parse(resumed.stdout);
    expect(r).toMatchObject({ newKey: false, scanned: RECORDS, reencrypted: 0, skipped: RECORDS, failed: 0 });
    expect(r.keyId).toBe(JSON.parse(rotated.stdout).keyId);
    expect(readFileSync(join(ws.configDir, 'local.key'), 'utf8')).toBe(newKey);
  });

  it('every record still reads, with its value', () => {
    expect(afterwards.size).toBe(RECORDS);
    expect(afterwards.get('notion/user-0')).toBe(valueOf(0));
  });
});
