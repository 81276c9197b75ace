import { DecryptCommand, GenerateDataKeyCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { AuthManagerError, ErrorCode } from '@authmanager/core/store';
import type { EncryptionContext, GeneratedDataKey, KeyProvider } from './KeyProvider.js';

const KEY_BYTES = 32;

/** Options for {@link AwsKmsKeyProvider}. */
export interface AwsKmsKeyProviderOptions {
  /**
   * The KMS key that wraps new data keys: key id, key ARN, alias name (`alias/...`) or alias ARN.
   * Records name the key ARN that wrapped them; a record is unwrapped only when that ARN is this
   * key or one of {@link AwsKmsKeyProviderOptions.previousKeyIds}.
   *
   * With a key id or key ARN the check is made here, before any KMS call. With an alias only KMS
   * knows which key the alias points at, so a record naming a key that is not in `previousKeyIds`
   * is sent to `Decrypt` with `KeyId` set to the alias, and KMS refuses it
   * (`IncorrectKeyException`) unless the alias points at the key that wrapped it. Pointing the
   * alias at a new key therefore rotates new writes only: list the old key in `previousKeyIds`
   * for its records to stay readable until {@link KmsEncryptedCredentialStore.rotate} has moved them.
   */
  readonly keyId: string;
  /**
   * Keys being rotated out, whose records are still unwrapped: each a key id (matching any key ARN
   * that ends in `key/<id>`) or a key ARN. An alias is refused (it names whatever key it points
   * at today, not a key to retire). Any other key a record names is refused with
   * `DECRYPTION_FAILED` before a KMS call, however permissive the IAM policy: a record that can
   * choose its unwrapping key could be sealed by anyone allowed to use any key.
   * @default []
   */
  readonly previousKeyIds?: readonly string[];
  /**
   * A `KMSClient` to use as is, or the configuration of one the provider creates (and destroys on
   * {@link AwsKmsKeyProvider.close}). Region, endpoint and credentials not given here come from
   * the SDK's usual sources (`AWS_REGION`, `AWS_PROFILE`, environment and container credentials...).
   * @default {} (a client configured entirely from the environment)
   */
  readonly client?: KMSClient | KMSClientConfig;
}

/**
 * A {@link KeyProvider} on AWS KMS (`@aws-sdk/client-kms`): `GenerateDataKey` (`KeySpec: AES_256`)
 * to make a data key, `Decrypt` to unwrap it, both with the encryption context, so KMS refuses
 * to unwrap a data key for any other context and CloudTrail records the context of each call.
 * `Decrypt` always names the configured key (`KeyId`), never the key a record claims, and only
 * records naming the configured key or one of `previousKeyIds` get that far.
 * The IAM principal needs `kms:GenerateDataKey` and `kms:Decrypt` on the key.
 *
 * Errors (`AuthManagerError`; the AWS error name is in the message and the SDK error in `cause`):
 * - `DECRYPTION_FAILED`: the record names a key that is neither `keyId` nor in `previousKeyIds`
 *   (no KMS call), or KMS answered `InvalidCiphertextException`, `IncorrectKeyException`
 *   (tampered wrapped key, different encryption context, or not wrapped by the key named);
 * - `STORE_UNAVAILABLE`: no HTTP answer (connection refused or reset, DNS failure, timeout);
 * - `KEY_MANAGEMENT_FAILED`: any other answer from KMS, e.g. `DisabledException`,
 *   `ThrottlingException` (after the SDK's own retries), `AccessDeniedException`,
 *   `NotFoundException`, `KMSInvalidStateException`, `KMSInternalException`.
 *
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
 * @example
 * ```ts
 * const keys = new AwsKmsKeyProvider({
 *   keyId: 'arn:aws:kms:eu-west-1:111122223333:key/2b2c9a1e-0a8e-4f55-9a3c-5d8f0f6b7c11',
 *   // during a rotation: the key whose records are still being re-encrypted
 *   previousKeyIds: ['arn:aws:kms:eu-west-1:111122223333:key/6f1d4e0c-93b5-4c1a-8d8e-1f2a3b4c5d6e'],
 *   client: { region: 'eu-west-1' },
 * });
 * const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys);
 * ```
 */
export class AwsKmsKeyProvider implements KeyProvider {
  /** The key as configured (id, ARN or alias). */
  readonly keyId: string;
  /** The keys being rotated out, as configured (key ids or key ARNs). */
  readonly previousKeyIds: readonly string[];
  /** The client the provider sends through. */
  readonly client: KMSClient;
  readonly #ownsClient: boolean;
  /** `keyId` (unless an alias) and `previousKeyIds`: the keys a record may name, checked locally. */
  readonly #listed: readonly string[];

  /**
   * @param options - the key, the keys being rotated out, and the client or its configuration
   * @throws AuthManagerError `CONFIGURATION` when `keyId` is empty, or a `previousKeyIds` entry is
   *   empty or an alias
   */
  constructor(options: AwsKmsKeyProviderOptions) {
    if (typeof options.keyId !== 'string' || options.keyId === '') {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'AwsKmsKeyProvider needs a keyId (key id, key ARN or alias)');
    }
    this.keyId = options.keyId;
    const previous = [...(options.previousKeyIds ?? [])];
    previous.forEach((id, i) => {
      if (typeof id !== 'string' || id === '' || isAlias(id)) {
        throw new AuthManagerError(
          ErrorCode.CONFIGURATION,
          `AwsKmsKeyProvider previousKeyIds[${i}] must be a key id or key ARN (an alias names whatever key it points at now)`,
        );
      }
    });
    this.previousKeyIds = Object.freeze(previous);
    this.#listed = Object.freeze(isAlias(this.keyId) ? previous : [this.keyId, ...previous]);
    const client = options.client ?? {};
    if (isClient(client)) {
      this.client = client;
      this.#ownsClient = false;
    } else {
      this.client = new KMSClient(client);
      this.#ownsClient = true;
    }
  }

  /** @throws AuthManagerError `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE` */
  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    let output;
    try {
      output = await this.client.send(new GenerateDataKeyCommand({
        KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context },
      }));
    } catch (err) {
      throw kmsError('GenerateDataKey', this.keyId, err);
    }
    const { KeyId: keyId, Plaintext: plaintext, CiphertextBlob: wrapped } = output;
    if (keyId === undefined || plaintext === undefined || wrapped === undefined || plaintext.length !== KEY_BYTES) {
      plaintext?.fill(0);
      throw new AuthManagerError(ErrorCode.KEY_MANAGEMENT_FAILED, `KMS GenerateDataKey for key ${this.keyId} returned an incomplete answer`);
    }
    return { keyId, plaintextKey: takeBytes(plaintext), wrappedKey: Buffer.from(wrapped) };
  }

  /**
   * Unwraps a data key, sending `Decrypt` with `KeyId` set to the configured key the record's
   * `keyId` matches (so KMS checks it too), never to the record's own claim.
   * @param keyId - the key ARN the record names (untrusted)
   * @throws AuthManagerError `DECRYPTION_FAILED` (a key that is neither `keyId` nor in
   *   `previousKeyIds`, refused before any KMS call; or refused by KMS), `KEY_MANAGEMENT_FAILED`,
   *   `STORE_UNAVAILABLE`
   */
  async decryptDataKey(keyId: string, wrappedKey: Buffer, context: EncryptionContext): Promise<Buffer> {
    const requestKeyId = this.#requestKeyId(keyId);
    let output;
    try {
      output = await this.client.send(new DecryptCommand({
        KeyId: requestKeyId, CiphertextBlob: wrappedKey, EncryptionContext: { ...context },
      }));
    } catch (err) {
      throw kmsError('Decrypt', requestKeyId, err);
    }
    const plaintext = output.Plaintext;
    if (plaintext === undefined || plaintext.length !== KEY_BYTES) {
      plaintext?.fill(0);
      throw new AuthManagerError(ErrorCode.KEY_MANAGEMENT_FAILED, `KMS Decrypt with key ${requestKeyId} returned no ${KEY_BYTES}-byte data key`);
    }
    return takeBytes(plaintext);
  }

  /** Destroys the client if the provider created it; a client passed in is left open. */
  async close(): Promise<void> {
    if (this.#ownsClient) this.client.destroy();
  }

  /**
   * The `KeyId` to send for a record naming `recordKeyId`: the listed key it matches, else the
   * configured alias (KMS then refuses a blob the alias does not point at).
   */
  #requestKeyId(recordKeyId: string): string {
    if (KEY_ARN.test(recordKeyId)) {
      const listed = this.#listed.find((id) => id === recordKeyId || (!id.startsWith('arn:') && recordKeyId.endsWith(`:key/${id}`)));
      if (listed !== undefined) return listed;
      if (isAlias(this.keyId)) return this.keyId;
    }
    throw new AuthManagerError(
      ErrorCode.DECRYPTION_FAILED,
      `Record names KMS key ${JSON.stringify(recordKeyId.slice(0, 256))}, which is neither the configured key ${this.keyId} nor one of previousKeyIds: refused without asking KMS`,
    );
  }
}

/** A key ARN, as `GenerateDataKey` returns and records name. */
const KEY_ARN = /^arn:[^:]+:kms:[^:]*:[^:]*:key\/[^:/]+$/;

/** An alias name (`alias/...`) or alias ARN. */
function isAlias(ref: string): boolean {
  return ref.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(ref);
}

function isClient(value: KMSClient | KMSClientConfig): value is KMSClient {
  return typeof (value as { send?: unknown }).send === 'function';
}

/** Copies into a Buffer of our own and zeroes the SDK's array. */
function takeBytes(bytes: Uint8Array): Buffer {
  const copy = Buffer.alloc(bytes.length);
  copy.set(bytes);
  bytes.fill(0);
  return copy;
}

/** Maps an SDK error to an `AuthManagerError`; the message carries the AWS error name, never key material. */
function kmsError(operation: string, keyId: string, err: unknown): AuthManagerError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown };
  };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException') {
    return new AuthManagerError(
      ErrorCode.DECRYPTION_FAILED,
      `KMS ${operation} with key ${keyId} rejected the wrapped data key (${name})`,
      { cause: err },
    );
  }
  if (status === undefined) {
    // No HTTP answer: a network error, whose message names no secret ("connect ECONNREFUSED 10.0.0.1:443").
    const code = typeof e.code === 'string' ? ` ${e.code}` : '';
    const detail = typeof e.message === 'string' && e.message !== '' ? `: ${e.message.slice(0, 200)}` : '';
    return new AuthManagerError(
      ErrorCode.STORE_UNAVAILABLE,
      `KMS ${operation} with key ${keyId} could not reach the key service (${name}${code}${detail})`,
      { cause: err },
    );
  }
  return new AuthManagerError(
    ErrorCode.KEY_MANAGEMENT_FAILED,
    `KMS ${operation} with key ${keyId} failed: ${name} (HTTP ${status})`,
    { cause: err },
  );
}
