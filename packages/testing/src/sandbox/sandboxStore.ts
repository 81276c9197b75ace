import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/** One stored oidc-provider artifact and the epoch ms after which it no longer exists. */
interface StoredEntry {
  readonly payload: AdapterPayload;
  readonly expiresAtMs: number;
}

/**
 * In-memory storage for one sandbox authorization server: every oidc-provider model (Session,
 * Interaction, AuthorizationCode, AccessToken, RefreshToken, Grant, ...) in one `Map`, keyed by
 * `<model>:<id>`. Expired entries are dropped lazily on read, so the store owns no timer and
 * leaves no open handle.
 *
 * Unlike oidc-provider's bundled memory adapter (one module-wide LRU shared by every provider in
 * the process), each sandbox gets its own store, and the store can be searched by subject.
 *
 * @internal Used by `startSandboxProvider`; not exported from the package.
 */
export class SandboxStore {
  readonly #entries = new Map<string, StoredEntry>();
  readonly #clientMetadata: (id: string) => AdapterPayload | undefined;

  /**
   * @param clientMetadata Answers oidc-provider's `Client` look-ups. It is called on every look-up,
   *   so client metadata (redirect URIs) can change at runtime; oidc-provider re-validates the
   *   client whenever the returned metadata differs.
   */
  constructor(clientMetadata: (id: string) => AdapterPayload | undefined) {
    this.#clientMetadata = clientMetadata;
  }

  /** The factory to pass as oidc-provider's `adapter` configuration. */
  readonly adapterFactory: AdapterFactory = (model) => this.#adapterFor(model);

  /**
   * Deletes every grant of `subject` and every artifact issued under those grants (authorization
   * codes, access tokens, refresh tokens). Browser sessions are kept.
   *
   * @returns the number of grants deleted.
   */
  revokeGrantsOf(subject: string): number {
    const grantIds = new Set<string>();
    for (const [key, entry] of this.#live()) {
      if (key.startsWith('Grant:') && entry.payload.accountId === subject) {
        grantIds.add(key.slice('Grant:'.length));
      }
    }
    for (const [key, entry] of this.#live()) {
      const { grantId } = entry.payload;
      if (grantId !== undefined && grantIds.has(grantId)) this.#entries.delete(key);
    }
    for (const grantId of grantIds) this.#entries.delete(`Grant:${grantId}`);
    return grantIds.size;
  }

  /** Empties the store. */
  clear(): void {
    this.#entries.clear();
  }

  *#live(): Generator<[string, StoredEntry]> {
    const now = Date.now();
    for (const [key, entry] of [...this.#entries]) {
      if (entry.expiresAtMs <= now) this.#entries.delete(key);
      else yield [key, entry];
    }
  }

  #get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  #findBy(model: string, field: 'uid' | 'userCode', value: string): AdapterPayload | undefined {
    for (const [key, entry] of this.#live()) {
      if (key.startsWith(`${model}:`) && entry.payload[field] === value) return entry.payload;
    }
    return undefined;
  }

  #adapterFor(model: string): Adapter {
    const key = (id: string): string => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresInSeconds) => {
        const expiresAtMs = typeof expiresInSeconds === 'number'
          ? Date.now() + expiresInSeconds * 1000
          : Number.POSITIVE_INFINITY;
        this.#entries.set(key(id), { payload, expiresAtMs });
      },
      find: async (id) => (model === 'Client' ? this.#clientMetadata(id) : this.#get(key(id))),
      findByUid: async (uid) => this.#findBy(model, 'uid', uid),
      findByUserCode: async (userCode) => this.#findBy(model, 'userCode', userCode),
      consume: async (id) => {
        const payload = this.#get(key(id));
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const [entryKey, entry] of this.#live()) {
          if (entryKey.startsWith(`${model}:`) && entry.payload.grantId === grantId) {
            this.#entries.delete(entryKey);
          }
        }
      },
    };
  }
}
