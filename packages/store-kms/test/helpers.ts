// Shared test fixtures (not a test file: jest matches *.test.ts only).
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import {
  MemoryCredentialStore, recordKeyId,
  type CredentialStore, type DeleteOptions, type ListFilter, type RecordKey, type SetOptions, type StoredRecord,
} from '@authmanager/core/store';
import { afterAll, beforeAll } from '@jest/globals';
import { startKmsServer, type KmsServer } from '@authmanager/testing';
import { randomBytes } from 'node:crypto';

/** A real `@aws-sdk/client-kms` client pointed at the loopback KMS test server. */
export function kmsClient(server: KmsServer, config: Partial<KMSClientConfig> = {}): KMSClient {
  return new KMSClient({
    endpoint: server.endpoint, region: server.region, credentials: server.credentials, ...config,
  });
}

let counter = 0;

/** A fresh credentials key with unique provider and subject. */
export function newKey(kind: RecordKey['kind'] = 'credentials'): RecordKey {
  counter += 1;
  return { kind, provider: `provider-${counter}`, subject: `subject-${counter}-${randomBytes(4).toString('hex')}` };
}

/** `{ value, version }` as a plain object (or undefined). */
export function plain(record: StoredRecord | undefined): { value: string; version: number } | undefined {
  return record === undefined ? undefined : { value: record.value, version: record.version };
}

/**
 * The inner store of the tamper tests: a memory store whose stored bytes an "attacker" can edit in
 * place (as with direct access to Redis), without the version counter moving.
 */
export class TamperableStore implements CredentialStore {
  readonly memory = new MemoryCredentialStore();
  readonly #edits = new Map<string, string>();

  /** From now on `get` returns `value` for `key` (same version) until the next write of it. */
  overwriteInPlace(key: RecordKey, value: string): void {
    this.#edits.set(recordKeyId(key), value);
  }

  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    const record = await this.memory.get(key);
    const edited = this.#edits.get(recordKeyId(key));
    return record === undefined || edited === undefined ? record : { value: edited, version: record.version };
  }

  async set(key: RecordKey, value: string, options?: SetOptions): Promise<StoredRecord> {
    const written = await this.memory.set(key, value, options);
    this.#edits.delete(recordKeyId(key));
    return written;
  }

  delete(key: RecordKey, options?: DeleteOptions): Promise<boolean> {
    return this.memory.delete(key, options);
  }

  take(key: RecordKey): Promise<StoredRecord | undefined> {
    return this.memory.take(key);
  }

  list(filter: ListFilter): AsyncIterable<RecordKey> {
    return this.memory.list(filter);
  }
}

/** Runs `promise` and returns what it rejected with, or `'<fulfilled>'`. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return '<fulfilled>';
}

/** The error's code, or a marker that fails an equality assertion. */
export function codeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return err === '<fulfilled>' ? '<fulfilled>' : `<no code: ${String(err)}>`;
}

/** Name of the error's `cause`, if any. */
export function causeName(err: unknown): string | undefined {
  const cause = (err as { cause?: { name?: unknown } } | undefined)?.cause;
  return typeof cause?.name === 'string' ? cause.name : undefined;
}

/**
 * Starts a KMS-protocol server and an SDK client for it before the file's tests and stops both
 * after them; `ready` receives them once started.
 */
export function useKmsServer(ready: (kms: KmsServer, client: KMSClient) => void): void {
  let kms: KmsServer | undefined;
  let client: KMSClient | undefined;
  beforeAll(async () => {
    kms = await startKmsServer();
    client = kmsClient(kms);
    ready(kms, client);
  });
  afterAll(async () => {
    client?.destroy();
    await kms?.stop();
  });
}

/** Names along the error's `cause` chain (the error itself first). */
export function causeChain(err: unknown): string[] {
  const names: string[] = [];
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && names.length < 10) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    names.push(typeof code === 'string' && typeof name === 'string' ? `${name}:${code}` : String(name));
    current = (current as { cause?: unknown }).cause;
  }
  return names;
}

/** Replaces one `.`-separated field of a stored record (e.g. the header's key id, field 2). */
export function withField(stored: string, index: number, value: string): string {
  const parts = stored.split('.');
  parts[index] = value;
  return parts.join('.');
}
