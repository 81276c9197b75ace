import { DecryptCommand, GenerateDataKeyCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { AuthManagerError, ErrorCode } from '@authmanager/core';
import type { EncryptionContext, GeneratedDataKey, KeyProvider } from './KeyProvider.js';

const KEY_BYTES = 32;

/** Options for {@link AwsKmsKeyProvider}. */
export interface AwsKmsKeyProviderOptions {
  /**
   * The KMS key that wraps data keys: key id, key ARN, alias name (`alias/...`) or alias ARN. With
   * an alias, pointing the alias at a new key rotates: new records go under the new key, old ones
   * still decrypt (their header names the key ARN) as long as the old key stays enabled.
   */
  readonly keyId: string;
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
 * The IAM principal needs `kms:GenerateDataKey` and `kms:Decrypt` on the key.
 *
 * Errors (`AuthManagerError`; the AWS error name is in the message and the SDK error in `cause`):
 * - `DECRYPTION_FAILED`: `InvalidCiphertextException`, `IncorrectKeyException` (tampered wrapped
 *   key, different encryption context, or a key id that did not wrap it);
 * - `STORE_UNAVAILABLE`: no HTTP answer (connection refused or reset, DNS failure, timeout);
 * - `KEY_MANAGEMENT_FAILED`: any other answer from KMS, e.g. `DisabledException`,
 *   `ThrottlingException` (after the SDK's own retries), `AccessDeniedException`,
 *   `NotFoundException`, `KMSInvalidStateException`, `KMSInternalException`.
 *
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
 * @example
 * ```ts
 * const keys = new AwsKmsKeyProvider({ keyId: 'alias/authmanager', client: { region: 'eu-west-1' } });
 * const store = new KmsEncryptedCredentialStore(new MemoryCredentialStore(), keys);
 * ```
 */
export class AwsKmsKeyProvider implements KeyProvider {
  /** The key as configured (id, ARN or alias). */
  readonly keyId: string;
  /** The client the provider sends through. */
  readonly client: KMSClient;
  readonly #ownsClient: boolean;

  /** @param options - the key and the client or its configuration */
  constructor(options: AwsKmsKeyProviderOptions) {
    if (typeof options.keyId !== 'string' || options.keyId === '') {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'AwsKmsKeyProvider needs a keyId (key id, key ARN or alias)');
    }
    this.keyId = options.keyId;
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

  /** @throws AuthManagerError `DECRYPTION_FAILED`, `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE` */
  async decryptDataKey(keyId: string, wrappedKey: Buffer, context: EncryptionContext): Promise<Buffer> {
    let output;
    try {
      output = await this.client.send(new DecryptCommand({
        KeyId: keyId, CiphertextBlob: wrappedKey, EncryptionContext: { ...context },
      }));
    } catch (err) {
      throw kmsError('Decrypt', keyId, err);
    }
    const plaintext = output.Plaintext;
    if (plaintext === undefined || plaintext.length !== KEY_BYTES) {
      plaintext?.fill(0);
      throw new AuthManagerError(ErrorCode.KEY_MANAGEMENT_FAILED, `KMS Decrypt with key ${keyId} returned no ${KEY_BYTES}-byte data key`);
    }
    return takeBytes(plaintext);
  }

  /** Destroys the client if the provider created it; a client passed in is left open. */
  async close(): Promise<void> {
    if (this.#ownsClient) this.client.destroy();
  }
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
