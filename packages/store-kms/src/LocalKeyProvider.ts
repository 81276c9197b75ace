import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuthManagerError, ErrorCode, processEnv, type EnvSource } from '@authmanager/core';
import type { EncryptionContext, GeneratedDataKey, KeyProvider } from './KeyProvider.js';
import { canonicalContext } from './envelope.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAP_FORMAT = 1;

/** Options for {@link LocalKeyProvider}. */
export interface LocalKeyProviderOptions {
  /** The current master key: exactly 32 bytes. New data keys are wrapped under it. */
  readonly key: Uint8Array;
  /**
   * Earlier master keys (32 bytes each) that still unwrap records written before a rotation. A
   * record naming any key that is neither `key` nor one of these is refused with `DECRYPTION_FAILED`.
   * @default []
   */
  readonly previousKeys?: readonly Uint8Array[];
}

/** Options for {@link LocalKeyProvider.fromEnv}. */
export interface LocalKeyProviderEnvOptions {
  /** Where variables are read. @default processEnv */
  readonly env?: EnvSource;
  /** Variable holding the current key, base64 of 32 bytes. @default 'AUTHMANAGER_LOCAL_KEY' */
  readonly variable?: string;
  /**
   * Variable holding earlier keys, comma-separated base64 (unset or empty = none).
   * @default 'AUTHMANAGER_LOCAL_KEY_PREVIOUS'
   */
  readonly previousVariable?: string;
}

/** Options for {@link LocalKeyProvider.fromFile}. */
export interface LocalKeyProviderFileOptions {
  /** Files holding earlier keys (same format as the current key file). @default [] */
  readonly previousPaths?: readonly string[];
}

/**
 * A {@link KeyProvider} for development and tests: a 32-byte master key held in this process
 * (from an environment variable or a file) wraps each data key with AES-256-GCM, binding the
 * encryption context as additional authenticated data. No network, no cost, no audit trail:
 * use `AwsKmsKeyProvider` in production.
 *
 * Rotation: construct it with the new key as `key` and the old ones in `previousKeys`; records
 * name the key that wrapped them (`local:` and 16 hex digits of a SHA-256 fingerprint), and only
 * a record naming `key` or one of `previousKeys` is unwrapped.
 *
 * Errors: `CONFIGURATION` when a key is missing or not 32 bytes (the message names the variable or
 * file, never the value); `DECRYPTION_FAILED` when a wrapped key or context does not authenticate,
 * or a record names a key that is neither `key` nor one of `previousKeys`; `KEY_MANAGEMENT_FAILED`
 * after {@link LocalKeyProvider.close}.
 *
 * @example
 * ```ts
 * // once: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"
 * const keys = LocalKeyProvider.fromEnv(); // reads AUTHMANAGER_LOCAL_KEY
 * const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys);
 * ```
 */
export class LocalKeyProvider implements KeyProvider {
  /** Id of the current key, `local:<16 hex digits>`; stored in every record header. */
  readonly keyId: string;
  readonly #keys = new Map<string, Buffer>();

  /**
   * @param options - the current key and earlier ones
   * @throws AuthManagerError `CONFIGURATION` when a key is not 32 bytes
   */
  constructor(options: LocalKeyProviderOptions) {
    this.keyId = this.#add(options.key, 'key');
    (options.previousKeys ?? []).forEach((key, i) => this.#add(key, `previousKeys[${i}]`));
  }

  /**
   * Reads the key (base64 of 32 bytes) from an environment variable.
   * @throws AuthManagerError `CONFIGURATION` when the variable is unset or not base64 of 32 bytes
   */
  static fromEnv(options: LocalKeyProviderEnvOptions = {}): LocalKeyProvider {
    const env = options.env ?? processEnv;
    const variable = options.variable ?? 'AUTHMANAGER_LOCAL_KEY';
    const previousVariable = options.previousVariable ?? 'AUTHMANAGER_LOCAL_KEY_PREVIOUS';
    const raw = env(variable);
    if (raw === undefined || raw.trim() === '') {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${variable} is not set: it must hold a 32-byte key in base64`);
    }
    const previous = (env(previousVariable) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    return fromTemporaryKeys(
      () => decodeKeyText(raw, variable),
      previous.map((text, i) => () => decodeKeyText(text, `${previousVariable} entry ${i}`)),
    );
  }

  /**
   * Reads the key from a file holding either the 32 raw bytes or their base64 (whitespace ignored).
   * @throws AuthManagerError `CONFIGURATION` when a file cannot be read or holds no 32-byte key
   */
  static fromFile(path: string, options: LocalKeyProviderFileOptions = {}): LocalKeyProvider {
    return fromTemporaryKeys(() => readKeyFile(path), (options.previousPaths ?? []).map((p) => () => readKeyFile(p)));
  }

  /** @returns a fresh random 32-byte key in base64, for `AUTHMANAGER_LOCAL_KEY` or a key file */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  /** @throws AuthManagerError `KEY_MANAGEMENT_FAILED` after {@link LocalKeyProvider.close} */
  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const master = this.#keys.get(this.keyId);
    if (master === undefined) throw new AuthManagerError(ErrorCode.KEY_MANAGEMENT_FAILED, 'LocalKeyProvider was closed');
    const plaintextKey = randomBytes(KEY_BYTES);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', master, iv);
    cipher.setAAD(wrapAad(this.keyId, context));
    const body = Buffer.concat([cipher.update(plaintextKey), cipher.final()]);
    const wrappedKey = Buffer.concat([Buffer.from([WRAP_FORMAT]), iv, cipher.getAuthTag(), body]);
    return { keyId: this.keyId, plaintextKey, wrappedKey };
  }

  /**
   * @param keyId - the local key id the record names (untrusted): only `key` and `previousKeys` unwrap
   * @throws AuthManagerError `DECRYPTION_FAILED` (a key this provider was not given, a tampered
   *   wrapped key or another context), `KEY_MANAGEMENT_FAILED` after {@link LocalKeyProvider.close}
   */
  async decryptDataKey(keyId: string, wrappedKey: Buffer, context: EncryptionContext): Promise<Buffer> {
    const master = this.#master(keyId);
    if (wrappedKey.length !== 1 + IV_BYTES + TAG_BYTES + KEY_BYTES || wrappedKey[0] !== WRAP_FORMAT) {
      throw unwrapFailed();
    }
    const iv = wrappedKey.subarray(1, 1 + IV_BYTES);
    const tag = wrappedKey.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', master, iv);
      decipher.setAAD(wrapAad(keyId, context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(wrappedKey.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw unwrapFailed(err);
    }
  }

  /** Zeroes the master keys held by this provider; it cannot be used afterwards. */
  async close(): Promise<void> {
    for (const key of this.#keys.values()) key.fill(0);
    this.#keys.clear();
  }

  #add(key: Uint8Array, label: string): string {
    if (key.length !== KEY_BYTES) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `LocalKeyProvider ${label} must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    const copy = Buffer.alloc(KEY_BYTES);
    copy.set(key);
    const id = localKeyId(copy);
    this.#keys.set(id, copy);
    return id;
  }

  #master(keyId: string): Buffer {
    const key = this.#keys.get(keyId);
    if (key !== undefined) return key;
    if (this.#keys.size === 0) throw new AuthManagerError(ErrorCode.KEY_MANAGEMENT_FAILED, 'LocalKeyProvider was closed');
    throw new AuthManagerError(
      ErrorCode.DECRYPTION_FAILED,
      `Record names local key ${JSON.stringify(keyId.slice(0, 256))}, which is neither this LocalKeyProvider's key nor one of its previousKeys (list the old key there while rotating)`,
    );
  }
}

/** Builds a provider from keys decoded just for it, and zeroes those temporary buffers. */
function fromTemporaryKeys(current: () => Buffer, previous: readonly (() => Buffer)[]): LocalKeyProvider {
  const buffers: Buffer[] = [];
  try {
    const key = current();
    buffers.push(key);
    const previousKeys = previous.map((read) => {
      const buffer = read();
      buffers.push(buffer);
      return buffer;
    });
    return new LocalKeyProvider({ key, previousKeys });
  } finally {
    for (const buffer of buffers) buffer.fill(0);
  }
}

function localKeyId(key: Buffer): string {
  return `local:${createHash('sha256').update('authmanager local key id\u0000').update(key).digest('hex').slice(0, 16)}`;
}

function wrapAad(keyId: string, context: EncryptionContext): Buffer {
  return Buffer.from(`authmanager-local-wrap\u0000${keyId}\u0000${canonicalContext(context)}`, 'utf8');
}

function unwrapFailed(cause?: unknown): AuthManagerError {
  return new AuthManagerError(
    ErrorCode.DECRYPTION_FAILED,
    'Wrapped data key failed authentication (tampered, or a different encryption context)',
    cause === undefined ? {} : { cause },
  );
}

function decodeKeyText(text: string, label: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  const bytes = Buffer.from(compact, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) || bytes.length !== KEY_BYTES) {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `${label} must be base64 of ${KEY_BYTES} bytes`);
  }
  return bytes;
}

function readKeyFile(path: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (cause) {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, `Cannot read local key file ${path}`, { cause });
  }
  if (content.length === KEY_BYTES) return content;
  try {
    return decodeKeyText(content.toString('utf8'), `Local key file ${path}`);
  } finally {
    content.fill(0);
  }
}
