import type { CredentialCodec } from './CredentialCodec.js';
import type { Credentials } from './Credentials.js';
import type { RecordKey, SetOptions, StoredRecord } from './CredentialStore.js';

/**
 * A stored record that holds the credentials it was written from rather than their encoding: what
 * an in-process store keeps when the credential repository writes through
 * {@link WRITE_CREDENTIALS}. Reading it back needs no decoding, and a million of them hold one copy
 * of each token, not an encoded string beside a decoded object. `value` is encoded with the
 * writer's codec when something asks for the string (another reader of the raw store), once.
 */
export class DecodedRecord implements StoredRecord {
  readonly version: number;
  readonly credentials: Credentials<object>;
  readonly #codec: CredentialCodec;
  #value: string | undefined;
  /** Set by the memory store: the due time it indexed this record at, epoch milliseconds. */
  dueAtMs: number | undefined;

  constructor(credentials: Credentials<object>, codec: CredentialCodec, version: number) {
    this.credentials = credentials;
    this.#codec = codec;
    this.version = version;
  }

  /** The record as the writer's codec encodes it. */
  get value(): string {
    return (this.#value ??= this.#codec.encode(this.credentials));
  }
}

/**
 * The method, on an in-process store, that writes credentials as a {@link DecodedRecord} (same
 * versioning, compare-and-set, due index and TTL as `set`). Internal to core: the memory store has
 * it, the instrumented store forwards it, and the credential repository uses it when present.
 */
export const WRITE_CREDENTIALS = Symbol('authmanager.writeCredentials');

/** A store with {@link WRITE_CREDENTIALS}. */
export interface CredentialObjectStore {
  /** @returns the written record: a {@link DecodedRecord}, or an encoded one when the store wrote a string after all */
  [WRITE_CREDENTIALS](key: RecordKey, credentials: Credentials<object>, codec: CredentialCodec, options?: SetOptions): Promise<StoredRecord>;
}

/** Whether `store` writes credentials as {@link DecodedRecord}s. */
export function writesCredentials(store: object): store is CredentialObjectStore {
  return typeof (store as Partial<CredentialObjectStore>)[WRITE_CREDENTIALS] === 'function';
}
