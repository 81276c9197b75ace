/**
 * A KMS encryption context: non-secret string pairs bound to a wrapped data key. Unwrapping
 * succeeds only with exactly the same pairs (order does not matter). AWS KMS logs them in
 * CloudTrail and IAM policies can test them (`kms:EncryptionContext:<key>`).
 *
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html
 */
export type EncryptionContext = Readonly<Record<string, string>>;

/** A fresh data key from {@link KeyProvider.generateDataKey}. */
export interface GeneratedDataKey {
  /**
   * The master key that wrapped it, in the provider's canonical form (for AWS the key ARN, even
   * when the provider was configured with an alias). Stored in each record header, and compared
   * to decide whether a record is already under the current key.
   */
  readonly keyId: string;
  /** The 32-byte AES-256 data key. The caller owns it and zeroes it (`fill(0)`) when done. */
  readonly plaintextKey: Buffer;
  /** The data key encrypted under `keyId`, bound to the encryption context; safe to store. */
  readonly wrappedKey: Buffer;
}

/**
 * Source of data keys for envelope encryption: wraps fresh 256-bit keys under a master key and
 * unwraps them again. Implementations: `AwsKmsKeyProvider` (AWS KMS) and `LocalKeyProvider`
 * (a key from the environment or a file, for development).
 *
 * Errors: implementations throw `AuthManagerError` with `DECRYPTION_FAILED` when the wrapped key
 * or context does not authenticate, `KEY_MANAGEMENT_FAILED` when the key service refuses (disabled
 * or unknown key, throttling, access denied) and `STORE_UNAVAILABLE` when it cannot be reached.
 * Messages never contain key material.
 */
export interface KeyProvider {
  /**
   * Generates a 32-byte data key and wraps it under the current master key.
   * @param context - bound to the wrapped key; the same pairs are needed to unwrap it
   * @throws AuthManagerError `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE`
   */
  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey>;
  /**
   * Unwraps a data key produced by {@link KeyProvider.generateDataKey}.
   *
   * `keyId` comes from the stored record, so whoever can write the store chooses it. An
   * implementation must unwrap only under keys it was configured with (the current key and any
   * listed previous keys), refuse any other id with `DECRYPTION_FAILED` before calling its key
   * service, and tell the key service which key it expects (as `AwsKmsKeyProvider` sets `KeyId`),
   * never let the record pick the key.
   * @param keyId - the key id the record names: `GeneratedDataKey.keyId` as returned when the key
   *   was generated, if the record is genuine
   * @param wrappedKey - `GeneratedDataKey.wrappedKey`
   * @param context - the same context it was generated with
   * @returns the 32-byte data key; the caller owns it and zeroes it when done
   * @throws AuthManagerError `DECRYPTION_FAILED` (a key id not configured, wrong context, tampered wrapped key),
   *   `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE`
   */
  decryptDataKey(keyId: string, wrappedKey: Buffer, context: EncryptionContext): Promise<Buffer>;
  /** Releases resources the provider created itself (for example its own KMS client). */
  close?(): Promise<void>;
}
