import {
  AuthManagerError, ErrorCode, SingleFlight, recordKeyId,
  type CredentialStore, type DeleteOptions, type ListFilter, type LockOptions, type RecordKey, type SetOptions,
  type StoredRecord, type StoreLock,
} from '@authmanager/core/store';
import { DataKeyCache, DATA_KEY_CACHE_DEFAULTS, type DataKeyCacheOptions } from './DataKeyCache.js';
import {
  aadStem, canonicalContext, decodeWrappedKey, FORMAT_ID, keyHeader, LEGACY_FORMAT_ID, newGeneration, openRecord, parseEnvelope, sameAadStem, sealRecord,
  type DataKeyScope, type Envelope, type KeyHeader, type SealedRecord,
} from './envelope.js';
import type { EncryptionContext, GeneratedDataKey, KeyProvider } from './KeyProvider.js';
import { LifetimeTracker, type ReplayDetectionOptions } from './LifetimeTracker.js';

export type { DataKeyScope } from './envelope.js';

const CONTEXT_PREFIX = 'authmanager:';

/** Options for {@link KmsEncryptedCredentialStore}. */
export interface KmsEncryptedCredentialStoreOptions {
  /**
   * What a data key's KMS encryption context binds it to, and so how often KMS is called.
   * - `'store'` (default): a data key shared by all records (`authmanager:scope = store`), reused
   *   for up to `cache.maxUses` records or `cache.maxAgeMs`, for writes and reads alike, as the AWS
   *   Encryption SDK's caching materials manager reuses data keys under limits on age and
   *   messages. A write costs no KMS call while the key is cached (about
   *   `writes / maxUses + elapsed / maxAgeMs` `GenerateDataKey` calls), and a process that holds
   *   the key reads records other processes wrote under it without a `Decrypt`. Trade-off: one
   *   plaintext data key in memory protects every record written in its window (a memory dump of
   *   a process exposes them, as it exposes the records it holds decrypted anyway); KMS cannot
   *   refuse one record while allowing another (IAM conditions cannot name a provider or subject)
   *   and CloudTrail shows one `Decrypt` per key, not which record was read.
   * - `'record'`: kind, provider, subject, generation and version of the one record it encrypts
   *   (`authmanager:kind`, `authmanager:provider`, `authmanager:subject`,
   *   `authmanager:generation`, `authmanager:version`; amk1 records have no generation).
   *   KMS itself refuses to unwrap it for any other record, CloudTrail shows which record was
   *   read, and IAM conditions can restrict by provider. Every write costs one `GenerateDataKey`
   *   (a KMS round trip), and the first read of each written record in any other process one
   *   `Decrypt`.
   *
   * In both scopes the AES-GCM additional authenticated data binds each ciphertext to its kind,
   * provider, subject, generation and version, so a ciphertext moved to another record or version
   * fails either way. Records of either scope are always readable, whatever this says (also by
   * earlier versions of this package, which read both).
   * @default 'store'
   */
  readonly dataKeyScope?: DataKeyScope;
  /**
   * Extra fixed pairs added to every KMS encryption context (for example `{ app: 'billing' }`, to
   * use in IAM conditions). Names must not start with `authmanager:`. Changing them makes existing
   * records unreadable.
   * @default {}
   */
  readonly encryptionContext?: EncryptionContext;
  /** Data-key cache limits, or `false` for one key-service call per read and per write. @default DATA_KEY_CACHE_DEFAULTS */
  readonly cache?: DataKeyCacheOptions | false;
  /**
   * Re-encrypt a `credentials` record under the current key when a read finds it under an older
   * one, or in the amk1 format (a compare-and-set write: it adds one to the record's version; a
   * lost race is ignored, and so is a failed re-encryption, the read still succeeds). A process that does not write
   * learns the current key with one `GenerateDataKey` per `cache.maxAgeMs`. Pending authorizations are not
   * rewritten: their TTL cannot be carried over, and they expire on their own.
   * @default false
   */
  readonly reencryptOnRead?: boolean;
  /**
   * Attempts of an unconditional `set` (no `ifVersion`), which is carried out as read version →
   * encrypt for the next version → compare-and-set, before `STORE_CONFLICT` is thrown. Each
   * concurrent writer wins at least one round, so N concurrent writers need at most N attempts.
   * @default 32
   */
  readonly maxWriteAttempts?: number;
  /**
   * Replay detection in this process's memory, or `false` for none. Each record's generation
   * (drawn when it is created, kept by updates) and highest version seen are remembered, so a read
   * that finds a generation this store saw end (the record deleted, taken, found absent, or created
   * anew) or an older version of the current generation fails with `DECRYPTION_FAILED`. Only what
   * this instance has seen counts: see the README ("Replay and rollback") for what no store-side
   * check can detect. Turn it off for an inner store that can legitimately go back in time (reads
   * from lagging replicas; a restore from backup needs a restart or new store instances).
   * @default REPLAY_DETECTION_DEFAULTS
   */
  readonly replayDetection?: ReplayDetectionOptions | false;
  /**
   * Read records in the amk1 format (written before generations existed; they carry none, so
   * replay detection does not apply to them). Set `false` once {@link KmsEncryptedCredentialStore.rotate}
   * has rewritten them all (and no process of an older version writes any): an attacker holding an
   * old amk1 ciphertext could otherwise put it back as the first version of a re-created record.
   * @default true
   */
  readonly acceptLegacyRecords?: boolean;
  /** Clock in epoch milliseconds for cache ages (tests move time with it). @default Date.now */
  readonly now?: () => number;
}

/** Counters reported by {@link KmsEncryptedCredentialStore.rotate}. */
export interface RotationProgress {
  /** Canonical id of the current master key (for AWS the key ARN). */
  readonly keyId: string;
  /** Records looked at so far. */
  readonly scanned: number;
  /** Records rewritten under the current key (and in the current format). */
  readonly reencrypted: number;
  /** Records already under the current key in the current format (left as they were). */
  readonly skipped: number;
  /** Records deleted between listing and reading. */
  readonly missing: number;
  /**
   * Records that failed authentication (`DECRYPTION_FAILED`: tampered, under a key the provider
   * does not accept, or a detected replay); left as they were.
   */
  readonly failed: number;
}

/** Result of {@link KmsEncryptedCredentialStore.rotate}. */
export interface RotationResult extends RotationProgress {
  /** Keys of the records counted in `failed`. */
  readonly failedKeys: readonly RecordKey[];
}

/** Options for {@link KmsEncryptedCredentialStore.rotate}. */
export interface RotateOptions {
  /** Called after each record with the counters so far. */
  readonly onProgress?: (progress: RotationProgress) => void;
  /** Stops between records; `rotate` then rejects with the signal's reason. Run it again to resume. */
  readonly signal?: AbortSignal;
}

type WriteOptions = { ifVersion: number | null; ttlMs?: number; dueAtMs?: number | null };

/**
 * Envelope encryption around any {@link CredentialStore}: each value is encrypted with
 * AES-256-GCM under a data key that a {@link KeyProvider} (AWS KMS, or a local key in
 * development) generates and wraps. The inner store holds only text of the form
 * `amk2.<scope>.<keyId>.<generation>.<wrappedKey>.<iv>.<tag>.<ciphertext>` (unpadded base64url
 * fields; records of the earlier `amk1` format, without generation, are still read); keys
 * (kind, provider, subject), versions and TTLs stay in the clear, as the inner store needs them.
 *
 * Each ciphertext is bound (GCM additional data, and in `'record'` scope the KMS encryption
 * context) to its kind, provider, subject, the record's generation (a random 128-bit id drawn
 * when the record is created and kept by its updates) and the version it is stored as. Writes
 * therefore go through the inner store's compare-and-set: read version v (and the generation),
 * encrypt for v + 1, write with `ifVersion: v` (retried on conflict unless the caller gave
 * `ifVersion`). A ciphertext copied to another subject, put back in place of a later version, or
 * altered in any byte fails with `DECRYPTION_FAILED`. Someone who can also reset the version
 * counter (delete the record, or write the inner store directly) can put back an old record
 * whole; this store then refuses it only if it has seen the record's newer state itself
 * (`replayDetection`), which no check inside the store can replace: see the README.
 *
 * Data keys are cached ({@link DataKeyCacheOptions}); plaintext keys are zeroed on eviction.
 * Records keep naming the key that wrapped them, but only the key provider's configured keys
 * unwrap them: after a key rotation old records still read while the old key is listed
 * (`previousKeyIds`, `previousKeys`), and {@link KmsEncryptedCredentialStore.rotate} (or
 * `reencryptOnRead`) moves them to the new key. A record naming any other key fails with
 * `DECRYPTION_FAILED`.
 *
 * Errors: `DECRYPTION_FAILED` (record fails authentication, names a key the provider does not
 * accept, is a detected replay, or is not an `amk2`/`amk1` record),
 * `KEY_MANAGEMENT_FAILED` (the key service refused: disabled or unknown key, throttling, access
 * denied), `STORE_UNAVAILABLE` (key service or inner store unreachable), `STORE_CONFLICT` (lost
 * compare-and-set), `LOCK_TIMEOUT` (from the inner lock). On any key-service failure nothing is
 * written: the inner record is left as it was. Messages never contain plaintext or key material.
 *
 * @example
 * ```ts
 * const store = new KmsEncryptedCredentialStore(
 *   new RedisCredentialStore({ redis: process.env.REDIS_URL }),
 *   new AwsKmsKeyProvider({ keyId: 'alias/authmanager' }),
 * );
 * ```
 */
export class KmsEncryptedCredentialStore implements CredentialStore {
  /** The wrapped store. */
  readonly inner: CredentialStore;
  /** Where data keys come from. */
  readonly keyProvider: KeyProvider;
  /**
   * The inner store's lock, when it has one (absent otherwise, as the port expects).
   * @throws AuthManagerError `LOCK_TIMEOUT`
   */
  declare readonly lock?: (key: RecordKey, options: LockOptions) => Promise<StoreLock>;
  /**
   * The inner store's `lockReleased`, when it has one: resolves `true` when the lock of `key` is
   * released or expired, `false` after `timeoutMs` milliseconds.
   * @throws AuthManagerError `STORE_UNAVAILABLE`
   */
  declare readonly lockReleased?: (key: RecordKey, timeoutMs: number) => Promise<boolean>;
  /**
   * The inner store's due index, when it has one (the due times are not secret: they are stored in
   * the clear beside the ciphertext).
   * @throws AuthManagerError `STORE_UNAVAILABLE`
   */
  declare readonly listDue?: (beforeMs: number, limit: number) => Promise<RecordKey[]>;

  readonly #scope: DataKeyScope;
  readonly #fixedContext: EncryptionContext;
  /** The KMS context of `'store'`-scope data keys, and its id in the encrypt cache (built once). */
  readonly #storeContext: EncryptionContext;
  readonly #storeContextId: string;
  readonly #encryptCache: DataKeyCache | undefined;
  /**
   * Data keys for reading, by wrapped key (as stored): a wrapped data key names its plaintext key.
   * The context it was wrapped under need not be part of the id, because every record's AES-GCM
   * additional data binds kind, provider, subject, generation and version, so a record moved
   * elsewhere fails to open even with the cached key. The key id must match too (`use(id, fn,
   * keyId)`), and only keys the provider unwrapped (or generated) are cached, so a record naming a
   * key the provider refuses never finds a cached key either.
   */
  readonly #decryptCache: DataKeyCache | undefined;
  readonly #inflight = new SingleFlight<string, void>();
  /**
   * The last record opened or written per key, so reading an unchanged record costs no decryption. An entry
   * is used only while its data key is still in the decrypt cache (and counts as one of its uses), so
   * plaintext is served no longer than the key that opened it would be; bounded like that cache.
   */
  readonly #opened = new Map<string, OpenedRecord>();
  readonly #reencryptOnRead: boolean;
  readonly #acceptLegacy: boolean;
  /** What this instance has seen of each record's lifetimes; `undefined` with `replayDetection: false`. */
  readonly #lifetimes: LifetimeTracker | undefined;
  readonly #maxWriteAttempts: number;
  readonly #now: () => number;
  readonly #keyIdTtlMs: number;
  #currentKey: { readonly keyId: string; readonly learnedAtMs: number } | undefined;

  /**
   * @param inner - the store that keeps the encrypted text (memory, Redis, ...)
   * @param keyProvider - generates and unwraps data keys
   * @param options - scope, cache limits, lazy re-encryption, replay detection
   * @throws AuthManagerError `CONFIGURATION` for an `encryptionContext` name in the reserved
   *   `authmanager:` namespace or a non-positive limit
   */
  constructor(inner: CredentialStore, keyProvider: KeyProvider, options: KmsEncryptedCredentialStoreOptions = {}) {
    this.inner = inner;
    this.keyProvider = keyProvider;
    if (inner.lock) this.lock = (key, lockOptions) => inner.lock!(key, lockOptions);
    if (inner.lockReleased) this.lockReleased = (key, timeoutMs) => inner.lockReleased!(key, timeoutMs);
    if (inner.listDue) this.listDue = (beforeMs, limit) => inner.listDue!(beforeMs, limit);
    this.#scope = options.dataKeyScope ?? 'store';
    if (this.#scope !== 'record' && this.#scope !== 'store') {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `dataKeyScope must be 'record' or 'store', got ${String(this.#scope)}`);
    }
    const fixed = { ...(options.encryptionContext ?? {}) };
    for (const [name, value] of Object.entries(fixed)) {
      if (name.startsWith(CONTEXT_PREFIX) || typeof value !== 'string') {
        throw new AuthManagerError(
          ErrorCode.CONFIGURATION,
          `encryptionContext entry "${name}" is invalid: names starting with "${CONTEXT_PREFIX}" are reserved and values must be strings`,
        );
      }
    }
    this.#fixedContext = Object.freeze(fixed);
    this.#storeContext = Object.freeze({ ...fixed, [`${CONTEXT_PREFIX}scope`]: 'store' });
    this.#storeContextId = canonicalContext(this.#storeContext);
    this.#now = options.now ?? Date.now;
    if (options.cache === false) {
      this.#encryptCache = undefined;
      this.#decryptCache = undefined;
      this.#keyIdTtlMs = 0;
    } else {
      const cacheOptions = options.cache ?? {};
      this.#encryptCache = new DataKeyCache({ ...cacheOptions, maxEntries: 1 }, this.#now);
      this.#decryptCache = new DataKeyCache(cacheOptions, this.#now);
      this.#keyIdTtlMs = cacheOptions.maxAgeMs ?? DATA_KEY_CACHE_DEFAULTS.maxAgeMs;
    }
    this.#reencryptOnRead = options.reencryptOnRead ?? false;
    this.#acceptLegacy = options.acceptLegacyRecords ?? true;
    this.#lifetimes = options.replayDetection === false ? undefined : new LifetimeTracker(options.replayDetection ?? {});
    this.#maxWriteAttempts = options.maxWriteAttempts ?? 32;
    if (!(this.#maxWriteAttempts >= 1)) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `maxWriteAttempts must be at least 1, got ${this.#maxWriteAttempts}`);
    }
  }

  /**
   * Reads and decrypts a record.
   * @returns the plaintext value and the inner store's version, or `undefined` if absent
   * @throws AuthManagerError `DECRYPTION_FAILED`, `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE`
   */
  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    const since = this.#mark();
    const record = await this.inner.get(key);
    if (record === undefined) {
      this.#lifetimes?.ended(recordKeyId(key), since);
      return undefined;
    }
    const decrypting = this.#decrypt(key, record, since);
    const { value, envelope } = decrypting instanceof Promise ? await decrypting : decrypting;
    if (this.#reencryptOnRead && key.kind === 'credentials') {
      const version = await this.#reencryptQuietly(key, record.version, envelope, value);
      return { value, version };
    }
    return { value, version: record.version };
  }

  /**
   * Encrypts `value` for the version it will be stored as and writes it with compare-and-set.
   * @returns the plaintext value with its new version
   * @throws AuthManagerError `STORE_CONFLICT` (caller's `ifVersion` does not match, or
   *   `maxWriteAttempts` lost races), `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE`
   */
  async set(key: RecordKey, value: string, options: SetOptions = {}): Promise<StoredRecord> {
    const { ifVersion, ttlMs, dueAtMs } = options;
    const writeOptions = (expected: number | null): WriteOptions => ({
      ifVersion: expected, ...(ttlMs !== undefined ? { ttlMs } : {}), ...(dueAtMs !== undefined ? { dueAtMs } : {}),
    });
    const id = recordKeyId(key);
    if (ifVersion !== undefined) {
      const since = this.#mark();
      const target = ifVersion === null ? 1 : ifVersion + 1;
      // An update continues the generation of the record it replaces; a creation starts one.
      let generation: string;
      const known = ifVersion === null ? undefined : this.#lifetimes?.latest(id);
      if (ifVersion === null) {
        generation = newGeneration();
      } else if (known?.version === ifVersion) {
        // This store saw version `ifVersion` of this generation: no read needed (if the record has
        // changed since, the compare-and-set fails).
        generation = known.generation;
      } else {
        const current = await this.inner.get(key);
        generation = current?.version === ifVersion ? this.#generationToKeep(key, current.value) : newGeneration();
      }
      const sealed = await this.#encrypt(key, target, generation, value, id);
      return { value, version: await this.#write(key, sealed, value, writeOptions(ifVersion), target, since, id) };
    }
    let triedKnown = false;
    for (let attempt = 1; ; attempt++) {
      const since = this.#mark();
      // First attempt: the version and generation this store last saw, so a write is one inner
      // round trip (as an unencrypted write is); when they are stale the compare-and-set fails
      // and the next attempt reads them.
      const known = triedKnown ? undefined : this.#lifetimes?.latest(id);
      triedKnown = true;
      let expected: number | null;
      let generation: string;
      if (known !== undefined) {
        expected = known.version;
        generation = known.generation;
      } else {
        const current = await this.inner.get(key);
        expected = current?.version ?? null;
        generation = current === undefined ? newGeneration() : this.#generationToKeep(key, current.value);
      }
      const target = (expected ?? 0) + 1;
      const sealed = await this.#encrypt(key, target, generation, value, id);
      try {
        return { value, version: await this.#write(key, sealed, value, writeOptions(expected), target, since, id) };
      } catch (err) {
        if (!AuthManagerError.is(err, ErrorCode.STORE_CONFLICT)) throw err;
        if (known !== undefined) { attempt -= 1; continue; } // a stale guess is not one of the attempts
        if (attempt >= this.#maxWriteAttempts) throw err;
        if (attempt > 2) await delay(Math.random() * Math.min(attempt, 10));
      }
    }
  }

  /**
   * Deletes a record (passed through to the inner store); its generation then counts as ended, so
   * this store refuses its ciphertexts if they are ever put back.
   * @throws AuthManagerError `STORE_CONFLICT`
   */
  async delete(key: RecordKey, options?: DeleteOptions): Promise<boolean> {
    const since = this.#mark();
    const deleted = await (options === undefined ? this.inner.delete(key) : this.inner.delete(key, options));
    // Whether it deleted or found nothing, no record exists now: the lifetime seen before has ended.
    this.#lifetimes?.ended(recordKeyId(key), since);
    return deleted;
  }

  /**
   * Reads, decrypts, then deletes the record with compare-and-set on its version, so that of two
   * concurrent `take`s one gets it, and a record that fails to decrypt (or meets an unreachable
   * key service) is not deleted.
   * @throws AuthManagerError `DECRYPTION_FAILED`, `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE`
   */
  async take(key: RecordKey): Promise<StoredRecord | undefined> {
    for (let attempt = 1; ; attempt++) {
      const since = this.#mark();
      const record = await this.inner.get(key);
      if (record === undefined) {
        this.#lifetimes?.ended(recordKeyId(key), since);
        return undefined;
      }
      const { value } = await this.#decrypt(key, record, since);
      try {
        const deleting = this.#mark();
        const deleted = await this.inner.delete(key, { ifVersion: record.version });
        this.#lifetimes?.ended(recordKeyId(key), deleting);
        return deleted ? { value, version: record.version } : undefined;
      } catch (err) {
        if (!AuthManagerError.is(err, ErrorCode.STORE_CONFLICT) || attempt >= this.#maxWriteAttempts) throw err;
      }
    }
  }

  /** Keys of live records (passed through; keys are not encrypted). */
  list(filter: ListFilter): AsyncIterable<RecordKey> {
    return this.inner.list(filter);
  }

  /**
   * Re-encrypts every `credentials` record under the current master key, in the current (amk2)
   * format. Records already under it in that format are skipped, so a run that was stopped
   * (signal, crash) resumes where it left off when run again. Each rewrite is a compare-and-set
   * that keeps the record's generation (an amk1 record gets one); a record changed meanwhile is
   * read again. Records that fail authentication are counted in `failed` and left alone.
   * Pending authorizations are left alone: they expire within minutes and remain readable under
   * the old key while it is listed.
   *
   * The old key must be accepted by the key provider (`previousKeyIds`, `previousKeys`) for its
   * records to be read; keep it enabled and listed until this has finished (and `failed` is 0).
   * @returns final counters and the keys of the records that failed
   * @throws AuthManagerError `KEY_MANAGEMENT_FAILED`, `STORE_UNAVAILABLE` (stops at the first);
   *   the signal's reason when aborted
   */
  async rotate(options: RotateOptions = {}): Promise<RotationResult> {
    const { onProgress, signal } = options;
    signal?.throwIfAborted();
    // Forget the current key so an alias that moved since is noticed now.
    this.#encryptCache?.clear();
    this.#currentKey = undefined;
    const keyId = await this.#currentKeyId();
    const counters = { keyId, scanned: 0, reencrypted: 0, skipped: 0, missing: 0, failed: 0 };
    const failedKeys: RecordKey[] = [];
    for await (const key of this.inner.list({ kind: 'credentials' })) {
      signal?.throwIfAborted();
      counters.scanned += 1;
      const outcome = await this.#rotateRecord(key, keyId);
      counters[outcome] += 1;
      if (outcome === 'failed') failedKeys.push({ kind: key.kind, provider: key.provider, subject: key.subject });
      onProgress?.({ ...counters });
    }
    return { ...counters, failedKeys };
  }

  /** Zeroes cached data keys, then closes the key provider and the inner store. */
  async close(): Promise<void> {
    this.#encryptCache?.clear();
    this.#decryptCache?.clear();
    this.#opened.clear();
    this.#lifetimes?.clear();
    await this.keyProvider.close?.();
    await this.inner.close?.();
  }

  async #rotateRecord(key: RecordKey, keyId: string): Promise<'reencrypted' | 'skipped' | 'missing' | 'failed'> {
    for (let attempt = 1; ; attempt++) {
      const since = this.#mark();
      const record = await this.inner.get(key);
      if (record === undefined) {
        this.#lifetimes?.ended(recordKeyId(key), since);
        return 'missing';
      }
      const parsed = parseEnvelope(record.value);
      if (parsed?.keyId === keyId && parsed.format === FORMAT_ID) return 'skipped';
      let opened: { value: string; envelope: Envelope };
      try {
        opened = await this.#decrypt(key, record, since);
      } catch (err) {
        if (AuthManagerError.is(err, ErrorCode.DECRYPTION_FAILED)) return 'failed';
        throw err;
      }
      const writing = this.#mark();
      const generation = opened.envelope.generation ?? newGeneration();
      const sealed = await this.#encrypt(key, record.version + 1, generation, opened.value);
      try {
        await this.#write(key, sealed, opened.value, { ifVersion: record.version }, record.version + 1, writing);
        return 'reencrypted';
      } catch (err) {
        if (!AuthManagerError.is(err, ErrorCode.STORE_CONFLICT) || attempt >= this.#maxWriteAttempts) throw err;
      }
    }
  }

  /** Lazy rotation for `get`: @returns the version the record has afterwards */
  async #reencryptQuietly(key: RecordKey, version: number, envelope: Envelope, value: string): Promise<number> {
    try {
      if (envelope.keyId === (await this.#currentKeyId()) && envelope.format === FORMAT_ID) return version;
      const writing = this.#mark();
      const generation = envelope.generation ?? newGeneration();
      const sealed = await this.#encrypt(key, version + 1, generation, value);
      return await this.#write(key, sealed, value, { ifVersion: version }, version + 1, writing);
    } catch {
      // The read stands; the record is left under its old key for a later read or rotate().
      return version;
    }
  }

  /**
   * Writes a sealed record and notes its generation as the record's current one, and the record
   * among those opened: this store wrote exactly that text at that version, so reading it back
   * needs no decryption (while its data key is cached, as for records it opened).
   * @param since - the mark taken before the reads this write is based on
   * @param memoId - `recordKeyId(key)`
   */
  async #write(
    key: RecordKey, sealed: SealedRecord, value: string, options: WriteOptions, target: number, since: number, memoId = recordKeyId(key),
  ): Promise<number> {
    const written = await this.inner.set(key, sealed.text, options);
    if (written.version !== target) {
      throw new AuthManagerError(
        ErrorCode.STORE_UNAVAILABLE,
        `Inner store wrote ${key.kind} record for provider "${key.provider}" as version ${written.version} instead of ${target}: it breaks the CredentialStore version contract`,
        { provider: key.provider },
      );
    }
    this.#lifetimes?.observe(memoId, sealed.envelope.generation, written.version, since);
    this.#remember(memoId, { value: sealed.text, version: written.version }, sealed.envelope, sealed.envelope.wrappedKeyText, sealed.aadStem, value);
    return written.version;
  }

  #mark(): number {
    return this.#lifetimes?.mark() ?? 0;
  }

  /**
   * The generation an update of the record stored as `stored` continues: the one its header names,
   * or a new one when it names none (amk1, malformed) or one this store saw end.
   *
   * The header is read without authenticating it. That is sound: a forged header can only make
   * this write join a generation of the forger's choosing, and then the worst case is that stores
   * which saw that generation end refuse the record, which a forger able to write the store could
   * cause anyway by writing garbage. It cannot make an old ciphertext acceptable: that needs the
   * old record's version, which only resetting the counter gives.
   *
   * Version-only compare-and-set leaves an ABA window: if, between the read of version v and the
   * write, the record is deleted, re-created and updated back to version v, this write carries the
   * old generation into the new lifetime (as it carries the old value over the new one). Stores that
   * saw the old generation end then refuse the record until one of them writes it again.
   */
  #generationToKeep(key: RecordKey, stored: string): string {
    const generation = parseEnvelope(stored)?.generation;
    if (generation === undefined || this.#lifetimes?.hasEnded(recordKeyId(key), generation) === true) return newGeneration();
    return generation;
  }

  /** @param generation - the record's generation; `undefined` for an amk1 record (whose context had none) */
  #kmsContext(scope: DataKeyScope, key: RecordKey, version: number, generation: string | undefined): EncryptionContext {
    if (scope === 'store') return this.#storeContext;
    return {
      ...this.#fixedContext,
      [`${CONTEXT_PREFIX}kind`]: key.kind,
      [`${CONTEXT_PREFIX}provider`]: key.provider,
      [`${CONTEXT_PREFIX}subject`]: key.subject,
      ...(generation === undefined ? {} : { [`${CONTEXT_PREFIX}generation`]: generation }),
      [`${CONTEXT_PREFIX}version`]: String(version),
    };
  }

  /** Canonical id of the current master key, learned from the last data key generated (at most one cache lifetime old). */
  async #currentKeyId(): Promise<string> {
    const known = this.#currentKey;
    if (known !== undefined && this.#now() - known.learnedAtMs < this.#keyIdTtlMs) return known.keyId;
    if (this.#scope === 'store') {
      return this.#withStoreKey((dataKey) => dataKey.header.keyId);
    }
    const probe = await this.#generate({ ...this.#fixedContext, [`${CONTEXT_PREFIX}purpose`]: 'key-probe' });
    probe.plaintextKey.fill(0);
    return probe.keyId;
  }

  async #generate(context: EncryptionContext): Promise<GeneratedDataKey> {
    const dataKey = await callProvider(() => this.keyProvider.generateDataKey(context));
    this.#currentKey = { keyId: dataKey.keyId, learnedAtMs: this.#now() };
    return dataKey;
  }

  /** @param id - `recordKeyId(key)` */
  async #encrypt(key: RecordKey, version: number, generation: string, plaintext: string, id = recordKeyId(key)): Promise<SealedRecord> {
    if (this.#scope === 'store') {
      // The record as last opened or written: an update in the same lifetime under the same key has its AAD stem.
      const known = this.#opened.get(id);
      return this.#withStoreKey((dataKey) => sealRecord(dataKey.plaintextKey, dataKey.header, 'store', generation, key, version, plaintext, known));
    }
    const dataKey = await this.#generate(this.#kmsContext('record', key, version, generation));
    const header = keyHeader(dataKey.keyId, dataKey.wrappedKey.toString('base64url'));
    try {
      return sealRecord(dataKey.plaintextKey, header, 'record', generation, key, version, plaintext);
    } finally {
      // The same key decrypts this record: keep it for the reads that follow (the cache owns it then).
      if (this.#decryptCache) {
        this.#decryptCache.put(header.wrappedKeyText, header, dataKey.plaintextKey, 0);
      } else {
        dataKey.plaintextKey.fill(0);
      }
    }
  }

  /** Runs `fn` with the store-scope data key (cached, or generated once for concurrent callers). */
  async #withStoreKey<T>(fn: (dataKey: { readonly header: KeyHeader; readonly plaintextKey: Buffer }) => T): Promise<T> {
    const cache = this.#encryptCache;
    const own = async (): Promise<T> => {
      const dataKey = await this.#generate(this.#storeContext);
      try {
        return fn({ header: keyHeader(dataKey.keyId, dataKey.wrappedKey.toString('base64url')), plaintextKey: dataKey.plaintextKey });
      } finally {
        dataKey.plaintextKey.fill(0);
      }
    };
    if (cache === undefined) return own();
    const id = this.#storeContextId;
    for (let attempt = 1; ; attempt++) {
      const hit = cache.use(id, fn);
      if (hit !== undefined) return hit.value;
      // Keys keep being used up before this caller's turn: use a key of its own.
      if (attempt > 3) return own();
      await this.#singleFlight(`e\u0000${id}`, async () => {
        const dataKey = await this.#generate(this.#storeContext);
        const header = keyHeader(dataKey.keyId, dataKey.wrappedKey.toString('base64url'));
        this.#decryptCache?.put(header.wrappedKeyText, header, Buffer.from(dataKey.plaintextKey), 0);
        cache.put(id, header, dataKey.plaintextKey, 0);
      });
    }
  }

  /**
   * Authenticates and decrypts a record read by an inner-store call issued at mark `since`, after
   * checking it against what this store has seen of the record's lifetimes. Synchronous (no
   * promise) when the record was opened before or its data key is cached, the common case.
   * @throws AuthManagerError `DECRYPTION_FAILED` (synchronously, or as the promise's rejection)
   */
  #decrypt(key: RecordKey, record: StoredRecord, since: number): OpenedRecord | Promise<OpenedRecord> {
    const memoId = recordKeyId(key);
    // A changed record keeps its header (same lifetime, same data key): parsed from the memo's.
    const memo = this.#opened.get(memoId);
    const envelope = parseEnvelope(record.value, memo?.envelope);
    if (envelope === undefined) throw decryptionFailed(key, 'it is not a well-formed amk2 or amk1 record');
    if (envelope.format === LEGACY_FORMAT_ID && !this.#acceptLegacy) {
      throw decryptionFailed(key, 'it is an amk1 record, which carries no generation, and acceptLegacyRecords is false');
    }
    // Before the memo below, which would otherwise serve a put-back record it opened earlier.
    const stale = this.#lifetimes?.check(memoId, envelope.generation, record.version, since);
    if (stale === 'ended') throw decryptionFailed(key, 'its generation belongs to a lifetime of the record that this store saw end: a deleted or replaced record put back');
    if (stale === 'older') throw decryptionFailed(key, 'it is an older version of the record than this store has already seen');
    const cached = this.#openCached(key, record, envelope, memoId, memo);
    if (cached !== undefined) {
      this.#lifetimes?.observe(memoId, envelope.generation, record.version, since);
      return cached;
    }
    return this.#openUnwrapping(key, record, envelope, memoId).then((opened) => {
      this.#lifetimes?.observe(memoId, envelope.generation, record.version, since);
      return opened;
    });
  }

  /**
   * The record from the memo of opened records, or opened with a cached data key.
   * @returns `undefined` when the data key is not cached
   * @throws AuthManagerError `DECRYPTION_FAILED` when it does not authenticate
   */
  #openCached(
    key: RecordKey, record: StoredRecord, envelope: Envelope, memoId: string, memo = this.#opened.get(memoId),
  ): OpenedRecord | undefined {
    const cache = this.#decryptCache;
    if (cache === undefined) return undefined;
    let knownStem: Buffer | undefined;
    if (memo !== undefined) {
      if (memo.version === record.version && memo.stored === record.value && cache.use(memo.cacheId, isLive, memo.envelope.keyId) !== undefined) return memo;
      // Another version of the same lifetime under the same key (the common change) has the same AAD stem.
      if (sameAadStem(memo.envelope, envelope)) knownStem = memo.aadStem;
      this.#opened.delete(memoId);
    }
    const cacheId = envelope.wrappedKeyText;
    let stem: Buffer | undefined;
    const hit = cache.use(cacheId, (entry) => {
      stem = knownStem ?? aadStem(envelope.format, envelope.scope, entry.header, envelope.generation, key);
      return openRecord(entry.plaintextKey, stem, envelope, record.version);
    }, envelope.keyId);
    if (hit === undefined) return undefined;
    if (hit.value === undefined) throw decryptionFailed(key, 'the ciphertext did not authenticate');
    return this.#remember(memoId, record, envelope, cacheId, stem!, hit.value);
  }

  #remember(memoId: string, record: StoredRecord, envelope: Envelope, cacheId: string, stem: Buffer, value: string): OpenedRecord {
    const opened: OpenedRecord = { stored: record.value, version: record.version, cacheId, aadStem: stem, value, envelope };
    if (this.#decryptCache !== undefined) {
      this.#opened.delete(memoId);
      if (this.#opened.size >= this.#decryptCache.maxEntries) {
        const oldest = this.#opened.keys().next().value;
        if (oldest !== undefined) this.#opened.delete(oldest);
      }
      this.#opened.set(memoId, opened);
    }
    return opened;
  }

  /** Opens a record whose data key is not cached: unwraps it (once for concurrent readers) and caches it. */
  async #openUnwrapping(key: RecordKey, record: StoredRecord, envelope: Envelope, memoId: string): Promise<OpenedRecord> {
    const wrappedKey = decodeWrappedKey(envelope);
    if (wrappedKey === undefined) throw decryptionFailed(key, 'it is not a well-formed amk2 or amk1 record');
    const header = keyHeader(envelope.keyId, envelope.wrappedKeyText);
    const cacheId = envelope.wrappedKeyText;
    const stem = aadStem(envelope.format, envelope.scope, header, envelope.generation, key);
    const open = (dataKey: Buffer): string => {
      const value = openRecord(dataKey, stem, envelope, record.version);
      if (value === undefined) throw decryptionFailed(key, 'the ciphertext did not authenticate');
      return value;
    };
    const unwrap = async (): Promise<Buffer> => {
      try {
        return await callProvider(() =>
          this.keyProvider.decryptDataKey(envelope.keyId, wrappedKey, this.#kmsContext(envelope.scope, key, record.version, envelope.generation)));
      } catch (err) {
        if (AuthManagerError.is(err, ErrorCode.DECRYPTION_FAILED)) {
          throw decryptionFailed(key, 'its data key did not unwrap, or it names a key the key provider does not accept', err);
        }
        throw err;
      }
    };
    const cache = this.#decryptCache;
    if (cache !== undefined) {
      for (let attempt = 1; attempt <= 3; attempt++) {
        await this.#singleFlight(`d\u0000${envelope.keyId}\u0000${cacheId}`, async () => {
          cache.put(cacheId, header, await unwrap(), 0);
        });
        const opened = this.#openCached(key, record, envelope, memoId);
        if (opened !== undefined) return opened;
      }
    }
    const dataKey = await unwrap();
    try {
      return this.#remember(memoId, record, envelope, cacheId, stem, open(dataKey));
    } finally {
      dataKey.fill(0);
    }
  }

  #singleFlight(id: string, load: () => Promise<void>): Promise<void> {
    return this.#inflight.run(id, load);
  }
}

/** A record as last opened by this store (the memo of opened records). */
interface OpenedRecord {
  /** The stored text and version it was opened from. */
  readonly stored: string;
  readonly version: number;
  /** The decrypt-cache id of its data key: the memo is served only while that key is cached. */
  readonly cacheId: string;
  /** Its AAD up to the version (see `aadStem`), reused by the next version opened. */
  readonly aadStem: Buffer;
  readonly value: string;
  readonly envelope: Envelope;
}

const isLive = (): true => true;

/** Key-provider errors pass through when typed; anything else becomes `KEY_MANAGEMENT_FAILED`. */
async function callProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (AuthManagerError.is(err)) throw err;
    throw new AuthManagerError(
      ErrorCode.KEY_MANAGEMENT_FAILED,
      `Key provider failed: ${err instanceof Error ? err.name : 'non-error thrown'}`,
      { cause: err },
    );
  }
}

function decryptionFailed(key: RecordKey, reason: string, cause?: unknown): AuthManagerError {
  return new AuthManagerError(
    ErrorCode.DECRYPTION_FAILED,
    `Encrypted ${key.kind} record for provider "${key.provider}" failed authentication (${reason}): it was altered, copied from another record, or rolled back to an older version`,
    cause === undefined ? { provider: key.provider } : { provider: key.provider, cause },
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
