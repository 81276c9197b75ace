import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The KMS operations {@link startKmsServer} answers (the `TrentService.<Operation>` target). */
export type KmsOperation =
  | 'GenerateDataKey'
  | 'Encrypt'
  | 'Decrypt'
  | 'CreateKey'
  | 'DescribeKey'
  | 'EnableKey'
  | 'DisableKey';

/**
 * Error `__type`s the server sends (HTTP 400, `{"__type": ..., "message": ...}`); the AWS SDK maps
 * each to its exception class of the same name. Any of them can be injected with
 * {@link KmsServer.failNext}.
 */
export type KmsErrorType =
  | 'ThrottlingException'
  | 'AccessDeniedException'
  | 'NotFoundException'
  | 'DisabledException'
  | 'KMSInvalidStateException'
  | 'InvalidCiphertextException'
  | 'IncorrectKeyException'
  | 'KMSInternalException'
  | 'ValidationException';

/** Options for {@link startKmsServer}. */
export interface KmsServerOptions {
  /** Region reported in key ARNs and handed to clients. @default 'us-east-1' */
  readonly region?: string;
  /** TCP port on 127.0.0.1; `0` picks a free one. @default 0 */
  readonly port?: number;
  /** Twelve-digit account id used in key ARNs. @default '111122223333' */
  readonly accountId?: string;
}

/** Options for {@link KmsServer.createKey}. */
export interface KmsCreateKeyOptions {
  /** Free text returned by `DescribeKey`. @default '' */
  readonly description?: string;
  /** Also answer to this alias (`alias/...`) in `KeyId` fields. */
  readonly alias?: string;
}

/** Static credentials for `new KMSClient({ credentials })`; the server checks none of them. */
export interface KmsServerCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * A running KMS-protocol server (see {@link startKmsServer}) and its test controls.
 *
 * @example
 * ```ts
 * import { KMSClient } from '@aws-sdk/client-kms';
 * const kms = await startKmsServer();
 * const keyId = kms.createKey();
 * const client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: kms.credentials });
 * // ... client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }))
 * kms.requestCount('GenerateDataKey'); // 1
 * await kms.stop();
 * ```
 */
export interface KmsServer {
  /** Base URL, `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  readonly endpoint: string;
  /** Region for the client's `region` (appears in key ARNs). */
  readonly region: string;
  /** Static credentials for the client (any values are accepted; only the `Authorization` header must exist). */
  readonly credentials: KmsServerCredentials;
  /**
   * Creates an enabled symmetric key with a fresh random 256-bit master key.
   * @returns the key id (a UUID); its ARN and any alias work as `KeyId` too
   */
  createKey(options?: KmsCreateKeyOptions): string;
  /** The key's ARN. @throws Error when no such key exists */
  keyArn(keyId: string): string;
  /** Points an alias (`alias/...`) at a key, creating or moving it (key rotation by alias). */
  setAlias(alias: string, keyId: string): void;
  /** Disables a key: `GenerateDataKey`, `Encrypt` and `Decrypt` then fail with `DisabledException`. */
  disableKey(keyId: string): void;
  /** Enables a key disabled by {@link KmsServer.disableKey} or `DisableKey`. */
  enableKey(keyId: string): void;
  /**
   * Makes the next `count` requests for `operation` fail with `type` (HTTP 400) before any other
   * processing. Injected failures queue up per operation.
   * @param count - how many requests fail @default 1
   */
  failNext(operation: KmsOperation, type: KmsErrorType, count?: number): void;
  /** Requests received for `operation` since start or {@link KmsServer.resetCounts}, failed ones included. */
  requestCount(operation: KmsOperation): number;
  /** All request counts by operation (operations never called are absent). */
  counts(): Readonly<Partial<Record<KmsOperation, number>>>;
  /** Sets every request count to zero. */
  resetCounts(): void;
  /** Closes the listener and every open connection; later requests are refused (ECONNREFUSED). */
  stop(): Promise<void>;
}

interface MasterKey {
  readonly keyId: string;
  readonly arn: string;
  readonly material: Buffer;
  readonly description: string;
  readonly creationDateSeconds: number;
  enabled: boolean;
}

class KmsFault extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

const BLOB_MAGIC = 0x4b; // 'K'
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_PLAINTEXT_BYTES = 4096;

/**
 * Starts an in-process KMS-protocol test server on 127.0.0.1 that `@aws-sdk/client-kms` talks to
 * unmodified: AWS JSON 1.1 (`POST /`, `X-Amz-Target: TrentService.<Operation>`,
 * `content-type: application/x-amz-json-1.1`, binary fields in base64).
 *
 * Operations: `GenerateDataKey` (`KeySpec` `AES_256`/`AES_128` or `NumberOfBytes`), `Encrypt`,
 * `Decrypt` (the `KeyId` is optional: the ciphertext blob names its key), `CreateKey`,
 * `DescribeKey`, `EnableKey`, `DisableKey`. Ciphertext blobs are real AES-256-GCM under a
 * per-key random master key, with the key id and the canonical encryption context as additional
 * authenticated data, so `Decrypt` with a different encryption context fails with
 * `InvalidCiphertextException`, as in AWS. Errors are HTTP 400 `{"__type","message"}`:
 * `NotFoundException` (unknown key), `DisabledException` (disabled key),
 * `IncorrectKeyException` (`KeyId` names another key than the blob), `ValidationException`,
 * plus whatever {@link KmsServer.failNext} injects. SigV4 signatures are not verified, but a
 * request without an `Authorization` header is refused with `MissingAuthenticationTokenException`.
 *
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/Welcome.html
 * @param options - region, port and account id
 * @returns the running server with its test controls
 */
export async function startKmsServer(options: KmsServerOptions = {}): Promise<KmsServer> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const keys = new Map<string, MasterKey>();
  const aliases = new Map<string, string>();
  const counts = new Map<KmsOperation, number>();
  const faults = new Map<KmsOperation, { type: KmsErrorType; remaining: number }[]>();

  const arnPrefix = `arn:aws:kms:${region}:${accountId}:`;

  function createKey(createOptions: KmsCreateKeyOptions = {}): string {
    const keyId = randomUUID();
    keys.set(keyId, {
      keyId,
      arn: `${arnPrefix}key/${keyId}`,
      material: randomBytes(32),
      description: createOptions.description ?? '',
      creationDateSeconds: Math.floor(Date.now() / 1000),
      enabled: true,
    });
    if (createOptions.alias !== undefined) setAlias(createOptions.alias, keyId);
    return keyId;
  }

  function setAlias(alias: string, keyId: string): void {
    if (!alias.startsWith('alias/')) throw new Error(`alias must start with "alias/": ${alias}`);
    aliases.set(alias, mustFind(keyId).keyId);
  }

  /** Resolves a key id, key ARN, alias name or alias ARN. */
  function findKey(ref: string): MasterKey | undefined {
    let id = ref;
    if (id.startsWith(arnPrefix)) id = id.slice(arnPrefix.length);
    if (id.startsWith('key/')) id = id.slice('key/'.length);
    if (id.startsWith('alias/')) {
      const target = aliases.get(id);
      if (target === undefined) return undefined;
      id = target;
    }
    return keys.get(id);
  }

  function mustFind(ref: string): MasterKey {
    const key = findKey(ref);
    if (key === undefined) throw new Error(`no such KMS test key: ${ref}`);
    return key;
  }

  function requireKey(ref: unknown): MasterKey {
    if (typeof ref !== 'string' || ref === '') throw new KmsFault('ValidationException', 'KeyId is required');
    const key = findKey(ref);
    if (key === undefined) throw new KmsFault('NotFoundException', `Key '${ref}' does not exist`);
    return key;
  }

  function requireEnabled(key: MasterKey): void {
    if (!key.enabled) throw new KmsFault('DisabledException', `${key.arn} is disabled.`);
  }

  function encryptionContext(value: unknown): [string, string][] {
    if (value === undefined || value === null) return [];
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new KmsFault('ValidationException', 'EncryptionContext must be a map of strings');
    }
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [, v] of entries) {
      if (typeof v !== 'string') throw new KmsFault('ValidationException', 'EncryptionContext values must be strings');
    }
    return (entries as [string, string][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  function aad(key: MasterKey, context: [string, string][]): Buffer {
    return Buffer.from(JSON.stringify([key.keyId, context]), 'utf8');
  }

  /** Blob: magic, key id length, key id, iv, tag, ciphertext. */
  function seal(key: MasterKey, plaintext: Buffer, context: [string, string][]): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(aad(key, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(key.keyId, 'utf8');
    return Buffer.concat([Buffer.from([BLOB_MAGIC, id.length]), id, iv, cipher.getAuthTag(), body]);
  }

  function open(blob: Buffer, keyRef: unknown, context: [string, string][]): { key: MasterKey; plaintext: Buffer } {
    const invalid = (): KmsFault => new KmsFault('InvalidCiphertextException', 'The ciphertext is invalid or does not match the encryption context');
    if (blob.length < 2 || blob[0] !== BLOB_MAGIC) throw invalid();
    const idLength = blob[1]!;
    const headerLength = 2 + idLength + IV_BYTES + TAG_BYTES;
    if (blob.length < headerLength) throw invalid();
    const blobKeyId = blob.subarray(2, 2 + idLength).toString('utf8');
    const key = keys.get(blobKeyId);
    if (key === undefined) throw invalid();
    if (keyRef !== undefined && keyRef !== null) {
      const named = requireKey(keyRef);
      if (named.keyId !== key.keyId) {
        throw new KmsFault('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext.');
      }
    }
    requireEnabled(key);
    const iv = blob.subarray(2 + idLength, 2 + idLength + IV_BYTES);
    const tag = blob.subarray(2 + idLength + IV_BYTES, headerLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, iv);
      decipher.setAAD(aad(key, context));
      decipher.setAuthTag(tag);
      return { key, plaintext: Buffer.concat([decipher.update(blob.subarray(headerLength)), decipher.final()]) };
    } catch {
      throw invalid();
    }
  }

  function base64Field(body: Record<string, unknown>, field: string): Buffer {
    const value = body[field];
    if (typeof value !== 'string' || value === '') throw new KmsFault('ValidationException', `${field} is required`);
    return Buffer.from(value, 'base64');
  }

  function keyMetadata(key: MasterKey): Record<string, unknown> {
    return {
      AWSAccountId: accountId,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.creationDateSeconds,
      Enabled: key.enabled,
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: key.enabled ? 'Enabled' : 'Disabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    };
  }

  const handlers: Record<KmsOperation, (body: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey(body) {
      const key = requireKey(body['KeyId']);
      const context = encryptionContext(body['EncryptionContext']);
      let bytes: number;
      if (body['KeySpec'] === 'AES_256') bytes = 32;
      else if (body['KeySpec'] === 'AES_128') bytes = 16;
      else if (typeof body['NumberOfBytes'] === 'number' && body['NumberOfBytes'] >= 1 && body['NumberOfBytes'] <= 1024) {
        bytes = body['NumberOfBytes'];
      } else throw new KmsFault('ValidationException', 'KeySpec (AES_256 or AES_128) or NumberOfBytes (1-1024) is required');
      requireEnabled(key);
      const plaintext = randomBytes(bytes);
      const blob = seal(key, plaintext, context);
      return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), CiphertextBlob: blob.toString('base64') };
    },
    Encrypt(body) {
      const key = requireKey(body['KeyId']);
      const context = encryptionContext(body['EncryptionContext']);
      const plaintext = base64Field(body, 'Plaintext');
      if (plaintext.length > MAX_PLAINTEXT_BYTES) throw new KmsFault('ValidationException', `Plaintext is longer than ${MAX_PLAINTEXT_BYTES} bytes`);
      requireEnabled(key);
      return { KeyId: key.arn, CiphertextBlob: seal(key, plaintext, context).toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    Decrypt(body) {
      const context = encryptionContext(body['EncryptionContext']);
      const { key, plaintext } = open(base64Field(body, 'CiphertextBlob'), body['KeyId'], context);
      return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    CreateKey(body) {
      const description = typeof body['Description'] === 'string' ? body['Description'] : '';
      return { KeyMetadata: keyMetadata(mustFind(createKey({ description }))) };
    },
    DescribeKey(body) {
      return { KeyMetadata: keyMetadata(requireKey(body['KeyId'])) };
    },
    EnableKey(body) {
      requireKey(body['KeyId']).enabled = true;
      return {};
    },
    DisableKey(body) {
      requireKey(body['KeyId']).enabled = false;
      return {};
    },
  };

  function send(res: ServerResponse, status: number, payload: Record<string, unknown>): void {
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(body);
  }

  function fail(res: ServerResponse, fault: KmsFault): void {
    send(res, fault.status, { __type: fault.type, message: fault.message });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || (req.url !== '/' && !req.url?.startsWith('/?'))) {
      return fail(res, new KmsFault('UnknownOperationException', 'Only POST / is supported', 404));
    }
    if (req.headers.authorization === undefined) {
      return fail(res, new KmsFault('MissingAuthenticationTokenException', 'Missing Authentication Token', 400));
    }
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
    if (!Object.hasOwn(handlers, operation)) {
      return fail(res, new KmsFault('UnknownOperationException', `Unsupported operation: ${operation || String(target)}`));
    }
    const op = operation as KmsOperation;
    counts.set(op, (counts.get(op) ?? 0) + 1);

    const queue = faults.get(op);
    const fault = queue?.[0];
    if (queue !== undefined && fault !== undefined) {
      if (--fault.remaining <= 0) queue.shift();
      return fail(res, new KmsFault(fault.type, `Injected ${fault.type} for ${op}`));
    }

    let body: Record<string, unknown>;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      const parsed: unknown = text === '' ? {} : JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return fail(res, new KmsFault('SerializationException', 'Request body is not a JSON object'));
    }
    try {
      send(res, 200, handlers[op](body));
    } catch (err) {
      if (err instanceof KmsFault) return fail(res, err);
      return fail(res, new KmsFault('KMSInternalException', 'Internal error', 500));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) fail(res, new KmsFault('KMSInternalException', 'Internal error', 500));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    credentials: { accessKeyId: 'AKIDKMSTESTSERVER', secretAccessKey: 'kms-test-server-secret' },
    createKey,
    keyArn: (keyId) => mustFind(keyId).arn,
    setAlias,
    disableKey(keyId) {
      mustFind(keyId).enabled = false;
    },
    enableKey(keyId) {
      mustFind(keyId).enabled = true;
    },
    failNext(operation, type, count = 1) {
      if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
      const queue = faults.get(operation) ?? [];
      queue.push({ type, remaining: count });
      faults.set(operation, queue);
    },
    requestCount: (operation) => counts.get(operation) ?? 0,
    counts: () => Object.fromEntries(counts) as Partial<Record<KmsOperation, number>>,
    resetCounts() {
      counts.clear();
    },
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
