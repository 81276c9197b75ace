import type { CredentialStore, DeleteOptions, ListFilter, LockOptions, RecordKey, SetOptions, StoredRecord, StoreLock } from './CredentialStore.js';
import { TelemetryAttributes, type Telemetry } from './Telemetry.js';
import { WRITE_CREDENTIALS, writesCredentials, type CredentialObjectStore } from './DecodedRecord.js';

/**
 * The manager's view of the user's store: each operation in an `authmanager.store.<operation>` span
 * (attributes: operation, record kind, provider; never the subject or a value). Without an SDK the
 * spans cost one no-op call each.
 */
export class InstrumentedStore implements CredentialStore {
  readonly #store: CredentialStore;
  readonly #telemetry: Telemetry;
  readonly lock?: (key: RecordKey, options: LockOptions) => Promise<StoreLock>;
  readonly lockReleased?: (key: RecordKey, timeoutMs: number) => Promise<boolean>;
  readonly listDue?: (beforeMs: number, limit: number) => Promise<RecordKey[]>;
  readonly [WRITE_CREDENTIALS]?: CredentialObjectStore[typeof WRITE_CREDENTIALS];

  constructor(store: CredentialStore, telemetry: Telemetry) {
    this.#store = store;
    this.#telemetry = telemetry;
    if (store.lock) this.lock = (key, options) => this.#span('lock', key, () => store.lock!(key, options));
    if (store.listDue) {
      this.listDue = (beforeMs, limit) => this.#telemetry.span('authmanager.store.list_due', { [TelemetryAttributes.STORE_OPERATION]: 'list_due' }, () => store.listDue!(beforeMs, limit));
    }
    if (writesCredentials(store)) {
      this[WRITE_CREDENTIALS] = (key, credentials, codec, options) => this.#span('set', key, () => store[WRITE_CREDENTIALS](key, credentials, codec, options));
    }
    if (store.lockReleased) this.lockReleased = (key, timeoutMs) => this.#span('lock_released', key, () => store.lockReleased!(key, timeoutMs));
  }

  get(key: RecordKey): Promise<StoredRecord | undefined> { return this.#span('get', key, () => this.#store.get(key)); }
  set(key: RecordKey, value: string, options?: SetOptions): Promise<StoredRecord> { return this.#span('set', key, () => this.#store.set(key, value, options)); }
  delete(key: RecordKey, options?: DeleteOptions): Promise<boolean> { return this.#span('delete', key, () => this.#store.delete(key, options)); }
  take(key: RecordKey): Promise<StoredRecord | undefined> { return this.#span('take', key, () => this.#store.take(key)); }
  list(filter: ListFilter): AsyncIterable<RecordKey> { return this.#store.list(filter); }
  close(): Promise<void> { return this.#store.close?.() ?? Promise.resolve(); }

  #span<T>(operation: string, key: RecordKey, fn: () => Promise<T>): Promise<T> {
    return this.#telemetry.span(`authmanager.store.${operation}`, () => ({
      [TelemetryAttributes.STORE_OPERATION]: operation,
      [TelemetryAttributes.RECORD_KIND]: key.kind,
      ...(key.kind === 'credentials' ? { [TelemetryAttributes.PROVIDER]: key.provider } : {}),
    }), fn);
  }
}
