import type { CredentialStore, DeleteOptions, ListFilter, LockOptions, RecordKey, SetOptions, StoredRecord, StoreLock } from './CredentialStore.js';
import type { Span } from '@opentelemetry/api';
import { TelemetryAttributes, type Telemetry } from './Telemetry.js';
import { WRITE_CREDENTIALS, writesCredentials, type CredentialObjectStore } from './DecodedRecord.js';

type StoreOperation = 'get' | 'set' | 'delete' | 'take' | 'lock' | 'lock_released';

/** Span names, made once (every store call starts one). */
const SPAN_NAMES: Readonly<Record<StoreOperation, string>> = {
  get: 'authmanager.store.get', set: 'authmanager.store.set', delete: 'authmanager.store.delete',
  take: 'authmanager.store.take', lock: 'authmanager.store.lock', lock_released: 'authmanager.store.lock_released',
};

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
    if (store.lock) this.lock = (key, options) => this.#traced('lock', key, () => store.lock!(key, options));
    if (store.listDue) {
      this.listDue = (beforeMs, limit) => {
        const span = this.#telemetry.recordingSpan('authmanager.store.list_due');
        const run = () => store.listDue!(beforeMs, limit);
        return span === undefined ? run() : this.#telemetry.inSpan(span, { [TelemetryAttributes.STORE_OPERATION]: 'list_due' }, run);
      };
    }
    if (writesCredentials(store)) {
      this[WRITE_CREDENTIALS] = (key, credentials, codec, options) => this.#traced('set', key, () => store[WRITE_CREDENTIALS](key, credentials, codec, options));
    }
    if (store.lockReleased) this.lockReleased = (key, timeoutMs) => this.#traced('lock_released', key, () => store.lockReleased!(key, timeoutMs));
  }

  get(key: RecordKey): Promise<StoredRecord | undefined> {
    const span = this.#telemetry.recordingSpan(SPAN_NAMES.get);
    return span === undefined ? this.#store.get(key) : this.#inSpan(span, 'get', key, () => this.#store.get(key));
  }

  set(key: RecordKey, value: string, options?: SetOptions): Promise<StoredRecord> {
    const span = this.#telemetry.recordingSpan(SPAN_NAMES.set);
    return span === undefined ? this.#store.set(key, value, options) : this.#inSpan(span, 'set', key, () => this.#store.set(key, value, options));
  }

  delete(key: RecordKey, options?: DeleteOptions): Promise<boolean> { return this.#traced('delete', key, () => this.#store.delete(key, options)); }
  take(key: RecordKey): Promise<StoredRecord | undefined> { return this.#traced('take', key, () => this.#store.take(key)); }
  list(filter: ListFilter): AsyncIterable<RecordKey> { return this.#store.list(filter); }
  close(): Promise<void> { return this.#store.close?.() ?? Promise.resolve(); }

  /** `fn` in an `authmanager.store.<operation>` span (when one records). */
  #traced<T>(operation: StoreOperation, key: RecordKey, fn: () => Promise<T>): Promise<T> {
    const span = this.#telemetry.recordingSpan(SPAN_NAMES[operation]);
    return span === undefined ? fn() : this.#inSpan(span, operation, key, fn);
  }

  #inSpan<T>(span: Span, operation: StoreOperation, key: RecordKey, fn: () => Promise<T>): Promise<T> {
    return this.#telemetry.inSpan(span, {
      [TelemetryAttributes.STORE_OPERATION]: operation,
      [TelemetryAttributes.RECORD_KIND]: key.kind,
      ...(key.kind === 'credentials' ? { [TelemetryAttributes.PROVIDER]: key.provider } : {}),
    }, fn);
  }
}
