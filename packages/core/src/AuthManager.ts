import { ClientCredentialsFlow } from './ClientCredentialsFlow.js';
import { Container } from 'inversify';
import { AuthManagerError } from './AuthManagerError.js';
import { Credentials, type CredentialsInit } from './Credentials.js';
import { jsonCredentialCodec, type CredentialCodec } from './CredentialCodec.js';
import { CredentialRepository } from './CredentialRepository.js';
import type { CredentialStore, LockOptions } from './CredentialStore.js';
import type { ProviderRegistration } from './defineProvider.js';
import { processEnv, type EnvSource } from './EnvSource.js';
import { ErrorCode } from './ErrorCode.js';
import { MemoryCredentialStore } from './MemoryCredentialStore.js';
import { DEFAULT_CONNECTION, connectionStoreProvider, parseConnectionStoreProvider } from './ConnectionLabel.js';
import { AuthEvents, type AuthEventListener, type AuthEventMap, type AuthEventName } from './AuthEvents.js';
import type { ConnectionStatus } from './ConnectionState.js';
import { OAuth2Flow, callbackParams, takePending, type ExchangeInput, type ExchangeResult } from './OAuth2Flow.js';
import type { AccountInfo, AnyProviderDefinition, AppCredentialsOf, ExtrasOf } from './ProviderDefinition.js';
import type { MissingAppCredential, ProviderRuntime } from './ProviderRuntime.js';
import { InstrumentedStore } from './InstrumentedStore.js';
import { Telemetry } from './Telemetry.js';
import { RefreshCoordinator, type CoordinatorEvent, type RefreshGrant, type UnpersistedCredential } from './RefreshCoordinator.js';
import { ENV_SOURCE, HTTP_FETCH, PROVIDER_RUNTIME, RUNTIME_SETTINGS } from './ServiceIdentifiers.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './ProviderRuntime.js';
import { Session, disposeWithLoad, type SessionHost, type SessionOptions, type SessionProvider } from './Session.js';

/** Options of {@link AuthManager}. */
export interface AuthManagerOptions<P extends readonly ProviderRegistration[]> {
  /** Providers to register (each from its package's factory, e.g. `notion({ clientId })`). */
  readonly providers: P;
  /** Where credentials and pending authorizations live. @default new MemoryCredentialStore() */
  readonly store?: CredentialStore;
  /** Where app credentials' env keys are read. @default process.env */
  readonly env?: EnvSource;
  /** `fetch` for every provider request. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Record format. @default jsonCredentialCodec */
  readonly codec?: CredentialCodec;
  /**
   * Refresh this many seconds before `expiresAt`, but never earlier than half the token's lifetime
   * before it (`MAX_SKEW_LIFETIME_FRACTION`), so a 5 s token is not refreshed on every call. @default 60
   */
  readonly refreshSkewSeconds?: number;
  /** How long an authorization `state` stays valid, seconds. @default 600 */
  readonly pendingAuthorizationTtlSeconds?: number;
  /** Timeout of each request to a provider's OAuth endpoints, milliseconds. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** The store's refresh lock (stores that have one). @default { ttlMs: 15000, waitMs: 20000 } */
  readonly refreshLock?: LockOptions;
  /**
   * How long a refreshed credential's store write is retried when the store fails, milliseconds.
   * The provider may already have invalidated the old refresh token (rotation), so the new credential
   * is kept and written as soon as the store is back (with the lock renewed meanwhile); only after
   * this long is it given to `onUnpersistedCredential` and `STORE_UNAVAILABLE` thrown. @default 30000
   */
  readonly refreshWriteRetryMs?: number;
  /**
   * Receives a refreshed credential that could not be stored within `refreshWriteRetryMs` (to put it
   * somewhere durable, or to alert). It holds secrets: never log it. A throwing hook is ignored.
   */
  readonly onUnpersistedCredential?: (event: UnpersistedCredential) => void | Promise<void>;
  /**
   * After a refresh token is refused (`invalid_grant`), callers fail fast with
   * `REAUTHORIZATION_REQUIRED` and no provider call for this long, in every process; then one refresh
   * is tried again. Other refresh failures back off from 1 s, doubling, up to this. @default 30
   */
  readonly refreshCooldownSeconds?: number;
  /** `refreshTokenExpiring` fires when a refresh gives a refresh token expiring within this, seconds. @default 604800 (7 days) */
  readonly refreshTokenExpiryWarningSeconds?: number;
  /** Receives what an event listener threw (listeners never break a flow). @default ignore */
  readonly onListenerError?: (error: unknown, event: AuthEventName) => void;
  /**
   * OpenTelemetry spans and metrics through `@opentelemetry/api` (no-op until an SDK is registered;
   * register a `MeterProvider` before constructing the manager). `false` leaves them out entirely.
   * @default true
   */
  readonly telemetry?: boolean;
  /**
   * Subjects may have several connections of one provider (labels other than `'default'`), so
   * `connections(subject)` also lists the subject's records (`store.list({ subject })`: one query on
   * the SQL store, one index read on Redis with `index: true`, a keyspace SCAN on Redis without it).
   * Off, labelled connections work everywhere else but `connections()` shows only the default ones.
   * @default false
   */
  readonly labelledConnections?: boolean;
  /** Timeout of one `session.fetch` API request, body included, milliseconds; 0 for none. @default 30000 */
  readonly apiTimeoutMs?: number;
  /**
   * Largest response body accepted from a provider's OAuth endpoints (token, discovery, JWKS,
   * userinfo, revocation), bytes; a larger one is `INVALID_TOKEN_RESPONSE`. @default 1048576 (1 MiB)
   */
  readonly maxResponseBytes?: number;
  /**
   * Storing a credential for a subject already connected to a *different* upstream account:
   * `'error'` throws `ACCOUNT_MISMATCH`, `'replace'` overwrites. @default 'error'
   */
  readonly onAccountMismatch?: 'error' | 'replace';
  /** Clock, epoch milliseconds (tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * Which of a subject's connections of a provider: `'default'` unless the subject has several
 * accounts of one provider (`'work'`, `'personal'`: 1–64 letters, digits, `.`, `_`, `-`).
 */
export interface ConnectionOptions {
  /** @default 'default' */
  readonly connection?: string;
}

/** One of a subject's connections, as {@link AuthManagerBase.connections} lists it. No secrets. */
export interface ConnectionInfo {
  readonly provider: string;
  /** The connection's label: `'default'`, or the one given when it was connected. */
  readonly connection: string;
  /** Who it belongs to upstream, when the provider says. */
  readonly account?: AccountInfo;
  /** `active`, `refresh_failed`, `reauthorization_required` or `revoked` (see {@link ConnectionStatus}). */
  readonly status: ConnectionStatus;
  /** Granted scopes, when known. */
  readonly scopes?: readonly string[];
  /** When the access token expires; absent when it does not. */
  readonly expiresAt?: Date;
  /** When the refresh token stops working, when the provider says. */
  readonly refreshTokenExpiresAt?: Date;
  /** When it was connected (known for connections stored by this version on). */
  readonly connectedAt?: Date;
  /** When its token was last refreshed. */
  readonly lastRefreshedAt?: Date;
  /** The last failed refresh's code, while `status` is not `active`. */
  readonly lastErrorCode?: ErrorCode;
  /** No refresh is tried before this (the failure cooldown). */
  readonly retryAt?: Date;
}

/** Result of {@link AuthManagerBase.completeAuthorization}. */
export interface CompletedAuthorization {
  readonly provider: string;
  readonly subject: string;
  /** The connection's label (given to `authorize`, `'default'` otherwise). */
  readonly connection: string;
  readonly account?: AccountInfo;
  readonly credentials: Credentials<object>;
}

/** Result of {@link AuthManagerBase.refreshDue}. */
export interface RefreshDueResult {
  /** Credentials the store listed as due. */
  readonly due: number;
  /** Refreshed by this call. */
  readonly refreshed: number;
  /** Not refreshed: no longer due, refreshed meanwhile by another process, or not refreshable. */
  readonly skipped: number;
  /** Failed, with the code (a connection in its cooldown fails fast with its last code). */
  readonly failed: ReadonlyArray<{ readonly provider: string; readonly subject: string; readonly code: ErrorCode }>;
}

/** Result of {@link AuthManagerBase.disconnect}. */
export interface DisconnectResult {
  /** Whether a stored credential existed (and was deleted). */
  readonly existed: boolean;
  /** Whether the grant was revoked at the provider (RFC 7009 or the provider's own revocation). */
  readonly revoked: boolean;
  /** Why revocation failed, when it did (the credential is deleted all the same). */
  readonly revocationErrorCode?: ErrorCode;
}

/** Dispatches to a handle's flows by definition. */
type OAuth2FlowOf<D> = D extends { oauth2: infer O }
  ? Omit<OAuth2Flow<ExtrasOf<D>>, 'revoke' | 'revokeCredentials' | 'introspect'>
    & (O extends { revocation: unknown } ? Pick<OAuth2Flow<ExtrasOf<D>>, 'revoke' | 'revokeCredentials'> : unknown)
    & (O extends { introspection: unknown } ? Pick<OAuth2Flow<ExtrasOf<D>>, 'introspect'> : unknown)
  : never;

type FlowsOf<D> = D extends { flows: infer F } ? { readonly [K in keyof F]: F[K] extends (...args: never[]) => infer R ? R : never } : unknown;

/** A registered provider, as `auth.<id>` or `auth.provider(id)` returns it. */
export type ProviderHandle<D extends AnyProviderDefinition = AnyProviderDefinition> = {
  readonly id: D['id'];
  readonly displayName: string;
  readonly definition: D;
  /**
   * The validated app credentials.
   * @throws AuthManagerError `CONFIGURATION` naming the bad field and its env keys
   */
  app(): AppCredentialsOf<D['appCredentials']>;
  /** OAuth app-credential fields not set yet (clientId/clientSecret), with their env keys. */
  missingForOAuth(): MissingAppCredential[];
} & (D extends { oauth2: unknown } ? { readonly oauth2: OAuth2FlowOf<D> } : unknown)
  & (D extends { oauth2: { clientCredentials: object } } ? {
    /** The client credentials grant (RFC 6749 §4.4): app-level tokens. */
    readonly clientCredentials: ClientCredentialsFlow;
  } : unknown)
  & FlowsOf<D>;

type RegisteredIds<P extends readonly ProviderRegistration[]> = P[number]['id'];
type DefinitionOf<P extends readonly ProviderRegistration[], Id> = Extract<P[number], { id: Id }>['definition'];

/**
 * `auth.<id>` for every registered provider. Nothing for the general `AuthManager` type (ids
 * unknown), so a typed manager is assignable to `AuthManager`.
 */
export type ProviderHandles<P extends readonly ProviderRegistration[]> = string extends RegisteredIds<P> ? unknown : {
  readonly [Id in RegisteredIds<P>]: ProviderHandle<DefinitionOf<P, Id>>;
};

type ClientOf<D> = D extends { client: (...args: never[]) => Promise<infer C> } ? C : never;

/** A session typed by the registered providers: `session.<id>` views. */
export type TypedSession<P extends readonly ProviderRegistration[]> = Session & (string extends RegisteredIds<P> ? unknown : {
  readonly [Id in RegisteredIds<P>]: SessionProvider<ExtrasOf<DefinitionOf<P, Id>>, ClientOf<DefinitionOf<P, Id>>>;
});

/**
 * Wires providers, runs OAuth flows, stores credentials and opens per-subject sessions.
 *
 * @example
 * ```ts
 * const auth = new AuthManager({ providers: [sandbox({ issuer, redirectUri })] });
 * const { url } = await auth.sandbox.oauth2.authorize({ subject: 'user-123', scopes: ['openid', 'offline_access'] });
 * // … the user comes back to the redirect URI …
 * const { credentials } = await auth.sandbox.oauth2.exchange({ callbackUrl });
 * await auth.storeCredentials('sandbox', 'user-123', credentials);
 * await using session = await auth.session('user-123');
 * const res = await session.fetch('sandbox', '/api/me');
 * ```
 *
 * This is the class behind `AuthManager`, exported so declaration files that mention a manager type
 * can name it; construct through `AuthManager`, which adds the typed `auth.<id>` handles.
 */
export class AuthManagerBase<P extends readonly ProviderRegistration[]> {
  /** The credential store in use. */
  readonly store: CredentialStore;
  /**
   * The inversify container holding the provider registry. A provider's module is loaded when the
   * provider is first used (`auth.<id>`, a session, a flow), so a manager with many providers costs
   * little to construct; `container.getAll(PROVIDER_RUNTIME)` lists the ones loaded so far.
   */
  readonly container: Container;
  readonly #runtimes = new Map<string, ProviderRuntime>();
  /** Registered providers by id; each one's module is loaded into the container on first use. */
  readonly #registrations = new Map<string, ProviderRegistration>();
  readonly #handles = new Map<string, ProviderHandle>();
  readonly #flows = new Map<string, OAuth2Flow<object>>();
  readonly #clientCredentialsFlows = new Map<string, ClientCredentialsFlow>();
  readonly #repository: CredentialRepository;
  readonly #coordinator: RefreshCoordinator;
  readonly #sessionHost: SessionHost;
  readonly #onAccountMismatch: 'error' | 'replace';
  readonly #now: () => number;
  readonly #pendingTtlMs: number;
  /** The connection lifecycle events (see {@link AuthEventMap}); `auth.on(…)` is short for `auth.events.on(…)`. */
  readonly events: AuthEvents;
  readonly #expiryWarningMs: number;
  /** `connections()` also lists labelled connections (`labelledConnections`). */
  readonly #listLabelled: boolean;
  readonly #telemetry: Telemetry | undefined;
  /** The user's store, each operation in a span. */
  readonly #store: CredentialStore;

  constructor(options: AuthManagerOptions<P>) {
    this.store = options.store ?? new MemoryCredentialStore();
    this.#now = options.now ?? Date.now;
    this.#pendingTtlMs = (options.pendingAuthorizationTtlSeconds ?? 600) * 1000;
    this.#onAccountMismatch = options.onAccountMismatch ?? 'error';
    const skewMs = (options.refreshSkewSeconds ?? 60) * 1000;
    this.#telemetry = options.telemetry === false ? undefined : new Telemetry();
    this.#store = this.#telemetry ? new InstrumentedStore(this.store, this.#telemetry) : this.store;
    this.#repository = new CredentialRepository(this.#store, options.codec ?? jsonCredentialCodec, (provider, c) => this.#dueAt(provider, c));
    this.events = new AuthEvents(options.onListenerError);
    this.#expiryWarningMs = (options.refreshTokenExpiryWarningSeconds ?? 604_800) * 1000;
    this.#listLabelled = options.labelledConnections ?? false;
    this.#coordinator = new RefreshCoordinator(this.#repository, {
      lock: options.refreshLock ?? { ttlMs: 15_000, waitMs: 20_000 }, skewMs, now: this.#now,
      writeRetryMs: options.refreshWriteRetryMs ?? 30_000,
      cooldownMs: (options.refreshCooldownSeconds ?? 30) * 1000,
      onEvent: (event) => this.#onRefreshEvent(event),
      ...(this.#telemetry ? { telemetry: this.#telemetry } : {}),
      ...(options.onUnpersistedCredential ? { onUnpersistedCredential: options.onUnpersistedCredential } : {}),
    });

    this.container = new Container();
    this.container.bind(ENV_SOURCE).toConstantValue(options.env ?? processEnv);
    this.container.bind(HTTP_FETCH).toConstantValue(options.fetch ?? ((input, init) => globalThis.fetch(input, init)));
    this.container.bind(RUNTIME_SETTINGS).toConstantValue({
      now: this.#now, timeoutMs: options.requestTimeoutMs ?? 10_000, maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
    const seen = new Set<string>();
    for (const registration of options.providers) {
      if (seen.has(registration.id)) {
        throw new AuthManagerError(ErrorCode.CONFIGURATION, `Provider "${registration.id}" is registered twice`, { provider: registration.id });
      }
      if (registration.id.includes('#')) {
        throw new AuthManagerError(ErrorCode.CONFIGURATION, `Provider id "${registration.id}" contains "#", which separates a provider from a connection label`, { provider: registration.id });
      }
      seen.add(registration.id);
      this.#registrations.set(registration.id, registration);
    }

    const grants = new Map<string, RefreshGrant>();
    this.#sessionHost = {
      runtime: (id) => this.#runtime(id),
      has: (id) => this.#registrations.has(id),
      flow: (id) => this.#flow(id),
      grant: (id) => {
        let grant = grants.get(id);
        if (grant === undefined) grants.set(id, (grant = (c) => this.#flow(id).refresh(c)));
        return grant;
      },
      repository: this.#repository,
      coordinator: this.#coordinator,
      skewMs,
      apiTimeoutMs: options.apiTimeoutMs ?? 30_000,
      ...(this.#telemetry ? { telemetry: this.#telemetry } : {}),
      now: this.#now,
    };
    // `auth.<id>` and `session.<id>` are answered by a lookup at the end of the prototype chains
    // (see the static block below and Session's), so construction and sessions cost nothing per provider.
    for (const id of this.#registrations.keys()) {
      if (Object.hasOwn(this, id) || MEMBER_NAMES.has(id)) {
        throw new AuthManagerError(ErrorCode.CONFIGURATION, `Provider id "${id}" collides with an AuthManager or Session member; choose another id`, { provider: id });
      }
    }
  }

  /** Ids of the registered providers. */
  get providerIds(): string[] {
    return [...this.#registrations.keys()];
  }

  /**
   * A registered provider by id (for ids known only at run time).
   * @throws AuthManagerError `PROVIDER_NOT_REGISTERED`
   */
  provider(id: string): ProviderHandle {
    let handle = this.#handles.get(id);
    if (!handle) {
      const rt = this.#runtime(id);
      const host = this;
      handle = {
        id: rt.id,
        displayName: rt.definition.displayName,
        definition: rt.definition,
        app: () => rt.app as never,
        missingForOAuth: () => rt.missingForOAuth(),
        get oauth2() { return host.#flow(id); },
        get clientCredentials() { return host.#clientCredentialsFlow(id); },
      } as ProviderHandle;
      for (const [name, make] of Object.entries(rt.definition.flows ?? {})) {
        let flow: unknown;
        Object.defineProperty(handle, name, { get: () => (flow ??= (make as (ctx: unknown) => unknown)(rt.context)), enumerable: true });
      }
      this.#handles.set(id, handle);
    }
    return handle;
  }

  /**
   * Stores credentials for (provider, subject), replacing any. When the provider can tell the
   * upstream account and the subject is already connected to a different one, throws
   * `ACCOUNT_MISMATCH` (unless `onAccountMismatch: 'replace'`). Accepts an `exchange` result as is,
   * when it is that provider's.
   * @throws AuthManagerError `PROVIDER_NOT_REGISTERED` | `ACCOUNT_MISMATCH` | `STORE_UNAVAILABLE` |
   *   `CONFIGURATION` (an exchange result of another provider)
   */
  async storeCredentials(provider: string, subject: string, credentials: Credentials<object> | CredentialsInit<object> | ExchangeResult<object>, options: ConnectionOptions = {}): Promise<void> {
    const rt = this.#runtime(provider);
    const connection = options.connection ?? ('credentials' in credentials && !(credentials instanceof Credentials) ? credentials.connection : undefined) ?? DEFAULT_CONNECTION;
    const key = connectionStoreProvider(provider, connection);
    let creds: Credentials<object>;
    if (credentials instanceof Credentials) creds = credentials;
    else if ('credentials' in credentials) {
      if (credentials.provider !== provider) {
        throw new AuthManagerError(ErrorCode.CONFIGURATION,
          `storeCredentials("${provider}", …) was given an exchange result of provider "${credentials.provider}"; store it under its own provider`, { provider });
      }
      creds = credentials.credentials;
    } else creds = new Credentials(credentials);
    const hasAccount = rt.definition.account !== undefined || rt.definition.identity !== undefined;
    // The mismatch check costs a store read: make it only when there is an account to compare.
    const after = hasAccount && this.#onAccountMismatch === 'error' ? rt.accountOf(creds) : undefined;
    if (after) {
      const existing = await this.#repository.load(key, subject).catch(() => undefined);
      const before = existing ? rt.accountOf(existing.credentials) : undefined;
      if (before && before.id !== after.id) {
        throw new AuthManagerError(ErrorCode.ACCOUNT_MISMATCH,
          `${provider}: this subject is connected to another ${rt.definition.displayName} account; disconnect it first (or set onAccountMismatch: 'replace')`,
          { provider });
      }
    }
    const now = this.#now();
    const stored = creds.with({ connection: { status: 'active', connectedAtMs: now, ...(creds.connection?.lastRefreshedAtMs !== undefined ? { lastRefreshedAtMs: creds.connection.lastRefreshedAtMs } : {}) } });
    await this.#repository.save(key, subject, stored);
    this.#emit('connected', provider, subject, stored, {}, connection);
  }

  /**
   * Completes an authorization for whichever provider started it (the pending record knows): checks
   * the callback, exchanges the code, stores the credential under the subject given to `authorize`
   * (with the account-mismatch check) and emits `connected`.
   * @param input - the callback URL, or its `code`, `state` and `iss`
   * @throws AuthManagerError as `oauth2.exchange` and `storeCredentials`: `INVALID_STATE` |
   *   `AUTHORIZATION_DENIED` | `TOKEN_EXCHANGE_FAILED` | `INVALID_TOKEN_RESPONSE` | `PROVIDER_UNAVAILABLE` |
   *   `RATE_LIMITED` | `ACCOUNT_MISMATCH` | `STORE_UNAVAILABLE`; `PROVIDER_NOT_REGISTERED` when the
   *   state was issued by a provider this manager does not have
   * @example
   * ```ts
   * const { provider, subject, account } = await auth.completeAuthorization({ callbackUrl: request.url });
   * ```
   */
  async completeAuthorization(input: ExchangeInput): Promise<CompletedAuthorization> {
    const params = callbackParams(input, '*');
    const { state, pending } = await takePending({ store: this.#store, now: this.#now }, params, '*');
    const flow = this.#flow(pending.provider);
    const result = await flow.exchangePending(params, state, pending);
    await this.storeCredentials(result.provider, result.subject, result.credentials, { connection: result.connection ?? DEFAULT_CONNECTION });
    const rt = this.#runtime(result.provider);
    const account = rt.accountOf(result.credentials);
    return {
      provider: result.provider, subject: result.subject, connection: result.connection ?? DEFAULT_CONNECTION,
      credentials: result.credentials, ...(account ? { account } : {}),
    };
  }

  /**
   * Disconnects (provider, subject): revokes the grant where the provider can (RFC 7009 or its own
   * revocation), deletes the stored credential whatever the provider answered, and emits
   * `disconnected`.
   * @returns `{ existed, revoked }`, and `revocationErrorCode` when revocation failed
   * @throws AuthManagerError `PROVIDER_NOT_REGISTERED` | `STORE_UNAVAILABLE` | `INVALID_STORED_CREDENTIALS`
   */
  async disconnect(provider: string, subject: string, options: ConnectionOptions = {}): Promise<DisconnectResult> {
    const rt = this.#runtime(provider);
    const connection = options.connection ?? DEFAULT_CONNECTION;
    const key = connectionStoreProvider(provider, connection);
    const loaded = await this.#repository.load(key, subject);
    if (!loaded) return { existed: false, revoked: false };
    let revoked = false;
    let revocationErrorCode: ErrorCode | undefined;
    if (rt.definition.oauth2?.revocation) {
      try {
        await this.#flow(provider).revokeCredentials(loaded.credentials);
        revoked = true;
      } catch (err) {
        revocationErrorCode = AuthManagerError.is(err) ? err.code : ErrorCode.REVOCATION_FAILED;
      }
    }
    const existed = await this.#repository.delete(key, subject);
    this.#emit('disconnected', provider, subject, loaded.credentials, { revoked }, connection);
    return { existed, revoked, ...(revocationErrorCode ? { revocationErrorCode } : {}) };
  }

  /**
   * The subject's connections, one per registered provider that has a stored credential: provider,
   * account, status, scopes, expiries, when connected and last refreshed, the last error. Reads one
   * record per provider, all at once (one round trip to a pipelining store).
   * @throws AuthManagerError `STORE_UNAVAILABLE`; a record that cannot be decoded is listed with
   *   status `reauthorization_required` and `lastErrorCode: 'INVALID_STORED_CREDENTIALS'`
   */
  async connections(subject: string): Promise<ConnectionInfo[]> {
    const keys = [...this.#registrations.keys()];
    if (this.#listLabelled) {
      // Labelled connections (`<provider>#<label>`): one listing of the subject's records.
      for await (const key of this.#store.list({ kind: 'credentials', subject })) {
        const { provider } = parseConnectionStoreProvider(key.provider);
        if (key.provider !== provider && this.#registrations.has(provider)) keys.push(key.provider);
      }
    }
    const loaded = await Promise.all(keys.map((key) => this.#repository.load(key, subject).then(
      (l) => l?.credentials,
      (err: unknown) => {
        if (AuthManagerError.is(err, [ErrorCode.INVALID_STORED_CREDENTIALS, ErrorCode.DECRYPTION_FAILED])) return err;
        throw err;
      },
    )));
    const out: ConnectionInfo[] = [];
    keys.forEach((key, i) => {
      const c = loaded[i];
      if (c === undefined) return;
      const { provider, connection } = parseConnectionStoreProvider(key);
      if (AuthManagerError.is(c)) {
        out.push({ provider, connection, status: 'reauthorization_required', lastErrorCode: c.code });
        return;
      }
      const rt = this.#runtime(provider);
      const account = safeAccount(() => rt.accountOf(c));
      const state = c.connection;
      out.push({
        provider, connection, status: state?.status ?? 'active',
        ...(account ? { account } : {}),
        ...(c.scopes ? { scopes: c.scopes } : {}),
        ...(c.expiresAt ? { expiresAt: c.expiresAt } : {}),
        ...(c.refreshTokenExpiresAt ? { refreshTokenExpiresAt: c.refreshTokenExpiresAt } : {}),
        ...(state?.connectedAtMs !== undefined ? { connectedAt: new Date(state.connectedAtMs) } : {}),
        ...(state?.lastRefreshedAtMs !== undefined ? { lastRefreshedAt: new Date(state.lastRefreshedAtMs) } : {}),
        ...(state?.lastErrorCode !== undefined && state.status !== 'active' ? { lastErrorCode: state.lastErrorCode } : {}),
        ...(state?.retryAtMs !== undefined && state.status !== 'active' ? { retryAt: new Date(state.retryAtMs) } : {}),
      });
    });
    return out;
  }

  /**
   * Refreshes the stored credentials that are due within `withinSeconds`: access tokens about to
   * expire, and refresh tokens about to lapse (their `refreshTokenExpiresAt`, or the provider's
   * `refreshTokenIdleLifetimeSeconds` since the last refresh). For a cron job; safe in N processes
   * at once: each refresh goes through the single-flight and the store's lock, and a credential
   * another process refreshed meanwhile is skipped. Connections in their failure cooldown are skipped.
   * Needs a store with an expiry index (`listDue`: the memory and Redis stores, and the stores
   * wrapping them), so finding due credentials costs O(due · log n), not a scan.
   * @param options.withinSeconds - how far ahead, seconds. @default 300
   * @param options.limit - at most this many credentials per call. @default 100
   * @param options.concurrency - refreshes at once. @default 4
   * @returns counts, and the failures with their codes (no secrets)
   * @throws AuthManagerError `UNSUPPORTED_FLOW` when the store has no expiry index | `STORE_UNAVAILABLE`
   */
  async refreshDue(options: { readonly withinSeconds?: number; readonly limit?: number; readonly concurrency?: number } = {}): Promise<RefreshDueResult> {
    const listDue = this.#store.listDue;
    if (!listDue) {
      throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, 'refreshDue needs a store with an expiry index (listDue): the memory store, @authmanager/store-redis, or one wrapping them');
    }
    const withinMs = (options.withinSeconds ?? 300) * 1000;
    const keys = await listDue.call(this.#store, this.#now() + withinMs, options.limit ?? 100);
    const result = { due: keys.length, refreshed: 0, skipped: 0, failed: [] as Array<{ provider: string; subject: string; code: ErrorCode }> };
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        const { provider } = parseConnectionStoreProvider(key.provider);
        const rt = this.#registrations.has(provider) ? this.#runtime(provider) : undefined;
        if (!rt?.definition.oauth2) { result.skipped++; continue; }
        try {
          const loaded = await this.#repository.load(key.provider, key.subject);
          const dueAt = loaded ? this.#dueAt(key.provider, loaded.credentials) : undefined;
          if (!loaded || dueAt === undefined || dueAt > this.#now() + withinMs) { result.skipped++; continue; }
          // Counts as refreshed only when this call's grant ran (not one another caller or process made).
          let granted = false;
          const grant = this.#sessionHost.grant(provider);
          await this.#coordinator.refresh(key.provider, key.subject, loaded.credentials, (c) => { granted = true; return grant(c); });
          if (granted) result.refreshed++;
          else result.skipped++;
        } catch (err) {
          result.failed.push({ provider, subject: key.subject, code: AuthManagerError.is(err) ? err.code : ErrorCode.TOKEN_REFRESH_FAILED });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
    return result;
  }

  /**
   * Runs {@link AuthManagerBase.refreshDue} every `intervalSeconds` in this process (a worker), until
   * stopped. Its timer does not keep the process alive; runs never overlap; a failed run is retried
   * at the next tick.
   * @param options.intervalSeconds - @default 60
   * @returns `stop()`, which resolves when a run in progress has finished
   */
  startRefresher(options: { readonly intervalSeconds?: number; readonly withinSeconds?: number; readonly concurrency?: number; readonly limit?: number } = {}): { stop(): Promise<void> } {
    const intervalMs = (options.intervalSeconds ?? 60) * 1000;
    let running: Promise<unknown> | undefined;
    let stopped = false;
    const tick = () => {
      if (stopped || running) return;
      running = this.refreshDue(options).catch(() => undefined).finally(() => { running = undefined; });
    };
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    tick();
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await running;
      },
    };
  }

  /**
   * When a credential is due for a proactive refresh: the earliest of its access token's expiry, its
   * refresh token's expiry, and the provider's idle lifetime since it was obtained. `undefined` for
   * credentials that cannot be refreshed (no refresh token, no OAuth flow).
   */
  #dueAt(storeProvider: string, c: Credentials<object>): number | undefined {
    if (c.refreshToken === undefined) return undefined;
    const spec = this.#registrations.get(parseConnectionStoreProvider(storeProvider).provider)?.definition.oauth2;
    if (!spec) return undefined;
    let due = c.expiresAtMs ?? Number.POSITIVE_INFINITY;
    if (c.refreshTokenExpiresAtMs !== undefined) due = Math.min(due, c.refreshTokenExpiresAtMs);
    if (spec.refreshTokenIdleLifetimeSeconds !== undefined) due = Math.min(due, c.obtainedAtMs + spec.refreshTokenIdleLifetimeSeconds * 1000);
    return Number.isFinite(due) ? due : undefined;
  }

  /**
   * Listens to a connection lifecycle event (see {@link AuthEventMap}). Payloads never hold a secret;
   * a throwing listener never breaks the flow.
   * @returns a function that removes the listener
   * @example
   * ```ts
   * auth.on('reauthorizationRequired', ({ provider, subject }) => mailer.askToReconnect(subject, provider));
   * ```
   */
  on<E extends AuthEventName>(event: E, listener: AuthEventListener<E>): () => void {
    return this.events.on(event, listener);
  }

  #emit<E extends AuthEventName>(event: E, provider: string, subject: string, credentials: Credentials<object> | undefined, extra: Omit<AuthEventMap[E], 'provider' | 'subject' | 'connection' | 'account' | 'at'>, connection: string = DEFAULT_CONNECTION): void {
    if (!this.events.has(event)) return;
    const rt = this.#registrations.has(provider) ? this.#runtime(provider) : undefined;
    const account = credentials && rt ? safeAccount(() => rt.accountOf(credentials)) : undefined;
    this.events.emit(event, { provider, subject, connection, ...(account ? { account } : {}), at: new Date(this.#now()), ...extra } as AuthEventMap[E]);
  }

  #onRefreshEvent(event: CoordinatorEvent): void {
    const { type, subject, credentials } = event;
    const { provider, connection } = parseConnectionStoreProvider(event.provider);
    if (type === 'refreshFailed' || type === 'reauthorizationRequired') {
      this.#emit(type, provider, subject, credentials, { code: event.code ?? ErrorCode.TOKEN_REFRESH_FAILED }, connection);
      return;
    }
    this.#emit(type, provider, subject, credentials, {}, connection);
    const rtx = credentials.refreshTokenExpiresAt;
    if (type === 'refreshed' && rtx !== undefined && rtx.getTime() - this.#now() <= this.#expiryWarningMs) {
      this.#emit('refreshTokenExpiring', provider, subject, credentials, { refreshTokenExpiresAt: rtx }, connection);
    }
  }

  /**
   * The stored credentials of (provider, subject), as stored (not refreshed).
   * @throws AuthManagerError `PROVIDER_NOT_REGISTERED` | `INVALID_STORED_CREDENTIALS` | `STORE_UNAVAILABLE`
   */
  async loadCredentials(provider: string, subject: string, options: ConnectionOptions = {}): Promise<Credentials<object> | undefined> {
    this.#runtime(provider);
    return (await this.#repository.load(connectionStoreProvider(provider, options.connection), subject))?.credentials;
  }

  /**
   * Deletes stored credentials (nothing is revoked; see `oauth2.revoke`).
   * @returns whether they existed
   */
  async deleteCredentials(provider: string, subject: string, options: ConnectionOptions = {}): Promise<boolean> {
    this.#runtime(provider);
    return this.#repository.delete(connectionStoreProvider(provider, options.connection), subject);
  }

  /**
   * Who a stored credential belongs to upstream, when the provider says.
   */
  async account(provider: string, subject: string, options: ConnectionOptions = {}): Promise<AccountInfo | undefined> {
    const rt = this.#runtime(provider);
    const creds = await this.loadCredentials(provider, subject, options);
    return creds ? rt.accountOf(creds) : undefined;
  }

  /**
   * Opens a session for `subject`. It does no I/O (credentials are read on first use), so it
   * returns synchronously; `await auth.session(…)` works too. Dispose it with `using` / `await using`,
   * `session.dispose()`, or use {@link AuthManagerBase.withSession}.
   * @example
   * ```ts
   * await using session = auth.session('user-123');
   * const token = await session.accessToken('notion');
   * ```
   */
  session(subject: string, options?: SessionOptions): TypedSession<P> {
    return new Session(this.#sessionHost, subject, options) as TypedSession<P>;
  }

  /**
   * Runs `fn` with a session and disposes it afterwards, whatever happens.
   * @returns what `fn` returns
   */
  withSession<T>(subject: string, fn: (session: TypedSession<P>) => Promise<T>, options?: SessionOptions): Promise<T> {
    const session = this.session(subject, options);
    let result: Promise<T>;
    try {
      result = Promise.resolve(fn(session));
    } catch (err) {
      session.dispose();
      return Promise.reject(err as Error);
    }
    // `(s) => s.accessToken(id)` returned the load it shares with other sessions: that load disposes it.
    if (session[disposeWithLoad](result)) return result;
    // One reaction instead of an async function's await + return: this is on every request's path
    // (and holds less: an async frame measured ~220 B more per caller in a storm of 10,000 sessions),
    // with two bound functions rather than two closures and their context (~50 B less per caller).
    return result.then(disposeReturning.bind(session) as (value: T) => T, disposeRethrowing.bind(session));
  }

  /** Closes the store (connections). */
  async close(): Promise<void> {
    await this.store.close?.();
  }

  /**
   * `auth.<id>`: a property a manager does not have (none of its members, nothing on
   * `Object.prototype`) ends at this lookup, which answers the handle of a registered provider of
   * that id and `undefined` otherwise. Defining a getter per provider on every manager cost more than
   * the rest of the constructor together (80 accessors for 40 providers).
   */
  static {
    const lookup = new Proxy(Object.prototype, {
      get(target, property, receiver: unknown) {
        if (typeof property === 'string' && typeof receiver === 'object' && receiver !== null && #registrations in receiver) {
          const manager = receiver as unknown as AuthManagerBase<readonly ProviderRegistration[]>;
          if (manager.#registrations.has(property)) return manager.provider(property);
        }
        return Reflect.get(target, property, receiver);
      },
    });
    Object.setPrototypeOf(AuthManagerBase.prototype, lookup);
  }

  #runtime(id: string): ProviderRuntime {
    let rt = this.#runtimes.get(id);
    if (rt) return rt;
    const registration = this.#registrations.get(id);
    if (!registration) throw new AuthManagerError(ErrorCode.PROVIDER_NOT_REGISTERED, `Provider "${id}" is not registered`, { provider: id });
    this.container.load(registration.module);
    rt = this.container.get(PROVIDER_RUNTIME, { name: id });
    this.#runtimes.set(id, rt);
    return rt;
  }

  #clientCredentialsFlow(id: string): ClientCredentialsFlow {
    let flow = this.#clientCredentialsFlows.get(id);
    if (!flow) {
      const rt = this.#runtime(id);
      if (!rt.oauth2.clientCredentials) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${id}" has no client credentials grant`, { provider: id });
      flow = new ClientCredentialsFlow(rt, { now: this.#now, skewMs: this.#sessionHost.skewMs, apiTimeoutMs: this.#sessionHost.apiTimeoutMs });
      this.#clientCredentialsFlows.set(id, flow);
    }
    return flow;
  }

  #flow(id: string): OAuth2Flow<object> {
    let flow = this.#flows.get(id);
    if (!flow) {
      const rt = this.#runtime(id);
      void rt.oauth2; // UNSUPPORTED_FLOW for providers without one
      flow = new OAuth2Flow(rt, {
        store: this.#store,
        ...(this.#telemetry ? { telemetry: this.#telemetry } : {}),
        now: this.#now,
        pendingTtlMs: this.#pendingTtlMs,
        storeCredentials: (p, s, c, connection) => this.storeCredentials(p, s, c, connection === undefined ? {} : { connection }),
        loadCredentials: (p, s) => this.loadCredentials(p, s),
        deleteCredentials: (p, s) => this.deleteCredentials(p, s),
      });
      this.#flows.set(id, flow);
    }
    return flow;
  }
}

/** Names a provider id may not take: what a manager or a session already has (and `Object.prototype`'s). */
const MEMBER_NAMES: ReadonlySet<string> = new Set([AuthManagerBase.prototype, Session.prototype, Object.prototype]
  .flatMap((proto) => Object.getOwnPropertyNames(proto)));

/** A provider's `account` hook, whose failure must not break a listing or an event. */
/** `withSession`'s fulfilment handler, bound to the session: disposes it and passes `value` on. */
function disposeReturning<T>(this: Session, value: T): T {
  this.dispose();
  return value;
}

/** `withSession`'s rejection handler, bound to the session: disposes it and rethrows `err`. */
function disposeRethrowing(this: Session, err: unknown): never {
  this.dispose();
  throw err;
}

function safeAccount(get: () => AccountInfo | undefined): AccountInfo | undefined {
  try { return get(); } catch { return undefined; }
}

/** An {@link AuthManagerBase} with `auth.<id>` for each registered provider. */
export type AuthManager<P extends readonly ProviderRegistration[] = readonly ProviderRegistration[]> = AuthManagerBase<P> & ProviderHandles<P>;

/**
 * Wires providers, runs OAuth flows, stores credentials and opens per-subject sessions.
 * @throws AuthManagerError `CONFIGURATION` when a provider id is registered twice or collides with a member
 */
export const AuthManager = AuthManagerBase as new <const P extends readonly ProviderRegistration[]>(options: AuthManagerOptions<P>) => AuthManager<P>;
