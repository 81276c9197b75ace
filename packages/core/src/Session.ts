import { placeCredential } from './ApiRequest.js';
import { AuthManagerError } from './AuthManagerError.js';
import { Credentials, type CredentialsInit } from './Credentials.js';
import type { CredentialRepository } from './CredentialRepository.js';
import { ErrorCode } from './ErrorCode.js';
import type { OAuth2Flow } from './OAuth2Flow.js';
import type { AccountInfo } from './ProviderDefinition.js';
import type { ProviderRuntime } from './ProviderRuntime.js';
import type { RefreshCoordinator, RefreshGrant } from './RefreshCoordinator.js';
import { connectionStoreProvider } from './ConnectionLabel.js';
import { SingleFlight } from './SingleFlight.js';
import type { Telemetry } from './Telemetry.js';

/** Options of `auth.session(subject, options)`. */
export interface SessionOptions {
  /** Only these providers can be used in the session (others throw `PROVIDER_NOT_IN_SESSION`). */
  readonly providers?: readonly string[];
  /**
   * Credentials to use instead of stored ones, by provider id (refreshed in memory only, never
   * stored), as the Python original's `with_credentials`.
   */
  readonly withCredentials?: Readonly<Record<string, Credentials<object> | CredentialsInit<object>>>;
  /**
   * Which connection to use, by provider id, for subjects with several accounts of one provider
   * (`{ github: 'work' }`). Providers not named use `'default'`.
   */
  readonly connections?: Readonly<Record<string, string>>;
}

/** What a session needs from its manager. */
export interface SessionHost {
  runtime(provider: string): ProviderRuntime;
  /** Whether a provider of this id is registered (for `session.<id>`). */
  has(provider: string): boolean;
  flow(provider: string): OAuth2Flow<object>;
  /** The provider's refresh token grant (the flow's `refresh`, resolved when first called). */
  grant(provider: string): RefreshGrant;
  readonly repository: CredentialRepository;
  readonly coordinator: RefreshCoordinator;
  /** Refresh this many milliseconds before `expiresAt` (capped at a share of the token's lifetime). */
  readonly skewMs: number;
  /** Timeout of one `session.fetch` request, milliseconds; 0 for none. */
  readonly apiTimeoutMs: number;
  /** Spans and metrics (no-op without an OpenTelemetry SDK). */
  readonly telemetry?: Telemetry;
  /** Epoch milliseconds. */
  now(): number;
}

type Source = 'store' | 'session' | 'static';

interface Entry {
  credentials: Credentials<object>;
  readonly source: Source;
}

const accessTokenOf = (entry: Entry): string => entry.credentials.accessToken;

/** The sessions waiting on one of the coordinator's shared reads for their access token (see `Session.#awaitToken`). */
interface SharedTokenLoad extends PendingLoad {
  readonly token: true;
  readonly promise: Promise<string>;
  readonly waiters: Session[];
  /** Sessions of `withSession` calls whose function returned {@link SharedTokenLoad.promise}: disposed as it settles. */
  disposeAfter: Session[] | undefined;
}

const isSharedTokenLoad = (load: PendingLoad): load is SharedTokenLoad => load.token;

/**
 * The key of `Session`'s hook for `withSession` (see `Session[disposeWithLoad]`). Exported to the
 * manager's module only: not from the package.
 */
export const disposeWithLoad: unique symbol = Symbol('authmanager.session.disposeWithLoad');
/**
 * The shared token load last started, until its read settles. A storm's sessions ask for the same
 * read one after another, so one slot finds it (sessions of two storms that interleave call by call
 * share less: each switch starts another load). Not a map by read: with a `WeakMap` set per load,
 * opening a session and reading a token (what most requests do) ran at a third of the rate (bench (b)).
 */
let latestTokenLoad: SharedTokenLoad | undefined;

/** A session's load of one provider's credentials in flight, shared by its concurrent callers. */
interface PendingLoad {
  readonly provider: string;
  /** Whether {@link PendingLoad.promise} resolves to the access token (else to the entry). */
  readonly token: boolean;
  readonly promise: Promise<Entry | string>;
  /** The coordinator's shared read it waits on: while that is still the coordinator's, the load is in flight. */
  readonly from: Promise<unknown>;
}

/** {@link SessionOptions} as a session keeps them. */
interface SessionSettings {
  readonly filter: ReadonlySet<string> | undefined;
  readonly override: SessionOptions['withCredentials'];
  readonly connections: SessionOptions['connections'];
  /** Refreshes of `withCredentials` credentials (kept in the session, never stored). */
  memoryRefresh?: SingleFlight<string, Credentials<object>>;
}

/**
 * One provider, seen from a session: what `session.<id>` returns.
 * @typeParam X - the provider's credential extras
 * @typeParam C - the provider's SDK client type (`never` when it has none)
 */
export interface SessionProvider<X extends object = Record<string, unknown>, C = unknown> {
  /** {@link Session.accessToken} for this provider. */
  accessToken(): Promise<string>;
  /** {@link Session.credentials} for this provider. */
  credentials(): Promise<Credentials<X>>;
  /** {@link Session.fetch} for this provider. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** {@link Session.refresh} for this provider. */
  refresh(): Promise<Credentials<X>>;
  /** {@link Session.account} for this provider. */
  account(): Promise<AccountInfo | undefined>;
  /** The provider's official SDK client, authenticated, refresh handled (loaded on first call). */
  client(): Promise<C>;
}

/**
 * A subject's credentials for the length of a request or job: always-valid access tokens and
 * authorized requests. Open with `await using session = await auth.session(subject)` (or
 * `auth.withSession(subject, fn)`).
 *
 * Credentials are read from the store on first use of each provider and kept for the session;
 * they are refreshed when `expiresAt` minus the skew (default 60 s) has passed, once per
 * (provider, subject) however many callers ask at once. One provider's missing credential does not
 * break the others: it throws `CREDENTIALS_NOT_FOUND` when that provider is used.
 */
export class Session implements AsyncDisposable, Disposable {
  /** The subject whose credentials this session uses. */
  readonly subject: string;
  readonly #host: SessionHost;
  /** The options that change what a session reads (most sessions have none: one field, not three). */
  readonly #settings: SessionSettings | undefined;
  // Most sessions live for one request and one provider: the first provider's entry is kept in two
  // fields, and a map is made only for a second provider.
  #firstProvider: string | undefined;
  #firstEntry: Entry | undefined;
  #entries: Map<string, Entry> | undefined;
  /** The load in flight for one provider (the first asked for while none was). */
  #load: PendingLoad | undefined;
  #closed = false;
  /** `accessToken()` calls answered from the held credential / after a load, reported at dispose. */
  #hits = 0;
  #misses = 0;

  constructor(host: SessionHost, subject: string, options?: SessionOptions) {
    this.#host = host;
    this.subject = subject;
    this.#settings = options === undefined ? undefined : {
      filter: options.providers ? new Set(options.providers) : undefined,
      override: options.withCredentials,
      connections: options.connections,
    };
  }

  /**
   * A valid access token for `provider`: refreshed first when it expires within the skew.
   * @throws AuthManagerError `CREDENTIALS_NOT_FOUND` | `REAUTHORIZATION_REQUIRED` |
   *   `PROVIDER_UNAVAILABLE` | `TOKEN_REFRESH_FAILED` | `PROVIDER_NOT_REGISTERED` | `PROVIDER_NOT_IN_SESSION`
   */
  accessToken(provider: string): Promise<string> {
    // Plain promise chains, no async frames: ten thousand concurrent callers each pay for what they
    // allocate here (one reaction on the shared load).
    const entry = this.#entry(provider);
    if (entry !== undefined && !entry.credentials.needsRefresh(this.#host.skewMs, this.#host.now())) {
      this.#hits++;
      return Promise.resolve(entry.credentials.accessToken);
    }
    this.#misses++;
    if (entry !== undefined) return this.#refresh(provider, entry).then(() => entry.credentials.accessToken);
    return this.#loadValid(provider, true);
  }

  /** The entry held for `provider`, if loaded. */
  #entry(provider: string): Entry | undefined {
    return this.#firstProvider === provider ? this.#firstEntry : this.#entries?.get(provider);
  }

  /**
   * Valid credentials for `provider` (refreshed when within the skew of expiry).
   * @throws as {@link Session.accessToken}
   */
  async credentials(provider: string): Promise<Credentials<object>> {
    const entry = this.#entry(provider) ?? await this.#loadValid(provider);
    if (entry.credentials.needsRefresh(this.#host.skewMs, this.#host.now())) await this.#refresh(provider, entry);
    return entry.credentials;
  }

  /**
   * Forces a refresh now (the "Refresh now" button; an SDK that saw a 401).
   * @throws as {@link Session.accessToken}, and `REAUTHORIZATION_REQUIRED` for static tokens
   */
  async refresh(provider: string): Promise<Credentials<object>> {
    const entry = this.#entry(provider) ?? await this.#loadValid(provider, false, false);
    await this.#refresh(provider, entry);
    return entry.credentials;
  }

  /**
   * An authorized request to the provider's API: `path` is resolved against the provider's base URL
   * (absolute URLs must be on the same origin), the binding's headers and `Authorization` are set.
   * On HTTP 401 (or what the binding's `isTokenRejected` says) the credential is refreshed once and
   * the request retried once (so bodies must be
   * replayable: strings, buffers, `URLSearchParams`, not streams).
   *
   * The path is resolved by the WHATWG URL parser before anything is checked, and the token is sent
   * only to the binding's base origin or its `allowedOrigins` (see `ProviderRuntime.apiUrl`). Each
   * request, body included, is bounded by the manager's `apiTimeoutMs` (default 30 s) besides any
   * `init.signal` of the caller's.
   * @throws as {@link Session.accessToken}; `CONFIGURATION` for a URL outside the provider's API
   *   (before any request); `PROVIDER_UNAVAILABLE` on network failure or timeout; the caller's own
   *   abort reason when `init.signal` aborts
   */
  async fetch(provider: string, path: string, init: RequestInit = {}): Promise<Response> {
    const rt = this.#host.runtime(provider);
    const first = await this.credentials(provider);
    const response = await this.#send(rt, first, path, init);
    const entry = this.#entry(provider);
    // Static credentials (an app-wide key) and providers without an OAuth flow (API keys, Basic)
    // have nothing to refresh: the refusal is the caller's to see.
    if (response.ok || entry === undefined || entry.source === 'static' || rt.definition.oauth2 === undefined) return response;
    if (!(await this.#tokenRejected(rt, response))) return response;
    await response.body?.cancel();
    if (entry.credentials === first) await this.#refresh(provider, entry);
    return this.#send(rt, entry.credentials, path, init);
  }

  /**
   * Who the credential belongs to at the provider, when the provider says.
   */
  async account(provider: string): Promise<AccountInfo | undefined> {
    const rt = this.#host.runtime(provider);
    const credentials = await this.credentials(provider);
    return rt.accountOf(credentials);
  }

  /**
   * `session.<id>`: a property a session does not have ends at this lookup, which answers
   * `session.for(id)` for a registered provider and `undefined` otherwise (so opening a session costs
   * nothing per provider).
   */
  static {
    const lookup = new Proxy(Object.prototype, {
      get(target, property, receiver: unknown) {
        if (typeof property === 'string' && typeof receiver === 'object' && receiver !== null && #host in receiver) {
          const session = receiver as Session;
          if (session.#host.has(property)) return session.for(property);
        }
        return Reflect.get(target, property, receiver);
      },
    });
    Object.setPrototypeOf(Session.prototype, lookup);
  }

  /** The per-provider view (`session.notion` is `session.for('notion')`). */
  for(provider: string): SessionProvider<object, unknown> {
    return {
      accessToken: () => this.accessToken(provider),
      credentials: () => this.credentials(provider),
      fetch: (path, init) => this.fetch(provider, path, init),
      refresh: () => this.refresh(provider),
      account: () => this.account(provider),
      client: async () => {
        const rt = this.#host.runtime(provider);
        if (!rt.definition.client) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${provider}" has no SDK client`, { provider });
        return rt.definition.client({
          app: rt.app,
          accessToken: () => this.accessToken(provider),
          credentials: () => this.credentials(provider),
          fetch: (path: string, init?: RequestInit) => this.fetch(provider, path, init),
          refresh: () => this.refresh(provider),
        });
      },
    };
  }

  /** Ends the session: forgets its credentials. Later calls throw `SESSION_CLOSED`. */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#entries = undefined;
    this.#firstEntry = undefined;
    if (this.#hits + this.#misses > 0) this.#host.telemetry?.sessionCache(this.#hits, this.#misses);
  }

  /**
   * For `withSession`: when `result` is this session's `accessToken()` load shared with other
   * sessions (what `(s) => s.accessToken(id)` returns), that load disposes the session as it
   * settles, before its outcome reaches anyone, and this returns true; otherwise it returns false
   * and the caller disposes the session when `result` settles. A storm of ten thousand
   * `withSession` calls then costs no promise, reaction and handlers per call.
   */
  [disposeWithLoad](result: Promise<unknown>): boolean {
    const load = this.#load;
    if (load === undefined || !isSharedTokenLoad(load) || load.promise !== result) return false;
    (load.disposeAfter ??= []).push(this);
    return true;
  }

  /** {@link Session.dispose}, for `using session = auth.session(…)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** {@link Session.dispose}, for `await using session = auth.session(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /** Same as {@link Session.dispose}, as a promise, for code without `using`. */
  close(): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }

  /** 401, or the binding's `isTokenRejected` (given a clone, so the caller's body stays unread). */
  async #tokenRejected(rt: ProviderRuntime, response: Response): Promise<boolean> {
    const isTokenRejected = rt.definition.api?.isTokenRejected;
    const declared = rt.definition.api?.tokenRejected;
    if (!isTokenRejected && declared) {
      if (response.status === 401) return true;
      if (!declared.statuses.includes(response.status)) return false;
      if (declared.bodyIncludes === undefined) return true;
      const probe = response.clone();
      return (await probe.text().catch(() => '')).includes(declared.bodyIncludes);
    }
    if (!isTokenRejected) return response.status === 401;
    const probe = response.clone();
    try {
      return await isTokenRejected(probe);
    } finally {
      // A tee'd body finishes cancelling only once both branches are cancelled, so this settles when
      // the caller's branch is cancelled or read too: do not wait for it here.
      if (!probe.bodyUsed) void probe.body?.cancel().catch(() => undefined);
    }
  }

  async #send(rt: ProviderRuntime, credentials: Credentials<object>, path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(rt.apiHeaders(credentials));
    new Headers(init.headers).forEach((value, name) => headers.set(name, value));
    const url = placeCredential(rt, credentials, rt.apiUrl(path, credentials), headers);
    const timeoutMs = this.#host.apiTimeoutMs;
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = timeout && init.signal ? AbortSignal.any([init.signal, timeout]) : (timeout ?? init.signal ?? null);
    try {
      const send = () => rt.fetch(url, { ...init, headers, signal });
      const telemetry = this.#host.telemetry;
      return await (telemetry ? telemetry.fetchSpan(rt.id, (init.method ?? 'GET').toUpperCase(), url, send) : send());
    } catch (cause) {
      if (init.signal?.aborted) throw init.signal.reason;
      const what = `${rt.id} API request to ${url.origin}${url.pathname}`;
      if (timeout?.aborted) {
        throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${what} timed out after ${timeoutMs} ms (apiTimeoutMs)`, { cause, provider: rt.id });
      }
      throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${what} failed`, { cause, provider: rt.id });
    }
  }

  /** The provider part of the store key of this session's connection of `provider`. */
  #storeKey(provider: string): string {
    const connection = this.#settings?.connections?.[provider];
    return connection === undefined ? provider : connectionStoreProvider(provider, connection);
  }

  /**
   * Loads `provider`'s credentials into the session, valid: stored ones come back valid from the
   * coordinator (it refreshes as it reads); given and static ones are refreshed here when within the
   * skew (static ones cannot be: `REAUTHORIZATION_REQUIRED`). Concurrent callers of one session share
   * one load. Plain promise chains, one reaction per session (none for `accessToken()`: sessions
   * share one, see {@link Session.#awaitToken}): every request's first read passes here, and a storm
   * of ten thousand sessions pays for each allocation ten thousand times.
   */
  #loadValid(provider: string, token?: false, validate?: boolean): Promise<Entry>;
  #loadValid(provider: string, token: true): Promise<string>;
  /**
   * @param token - resolve to the access token instead of the entry (`accessToken()`: the promise
   *   every session waiting on the same store read shares)
   * @param validate - refresh given credentials within the skew of expiry (off for `refresh()`, which
   *   refreshes them anyway: one token request, not two)
   */
  #loadValid(provider: string, token = false, validate = true): Promise<Entry | string> {
    const storeKey = this.#storeKey(provider);
    // A failed load leaves the coordinator, so it is not shared again: no rejection handler (and its
    // closure) per session.
    const load = this.#load;
    if (load !== undefined && load.provider === provider && load.token === token &&
        this.#host.coordinator.pendingRead(storeKey, this.subject) === load.from) return load.promise;
    if (this.#closed) return Promise.reject(new AuthManagerError(ErrorCode.SESSION_CLOSED, `This session for provider "${provider}" was already disposed; open a new one`, { provider }));
    const filter = this.#settings?.filter;
    if (filter && !filter.has(provider)) {
      return Promise.reject(new AuthManagerError(ErrorCode.PROVIDER_NOT_IN_SESSION, `Provider "${provider}" is not in this session's providers`, { provider }));
    }
    let rt: ProviderRuntime;
    try {
      rt = this.#host.runtime(provider);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const given = this.#settings?.override?.[provider];
    if (given !== undefined) {
      const kept = this.#keep(provider, { credentials: given instanceof Credentials ? given : new Credentials(given), source: 'session' });
      const entry = Promise.resolve(validate ? this.#valid(provider, kept) : kept);
      return token ? entry.then(accessTokenOf) : entry;
    }
    const from = this.#host.coordinator.loadValid(storeKey, this.subject, this.#host.grant(provider));
    if (token) return this.#awaitToken(provider, rt, from);
    const loading: Promise<Entry> = from.then((loaded) => {
      if (this.#load?.promise === loading) this.#load = undefined;
      if (loaded) return this.#keep(provider, { credentials: loaded, source: 'store' });
      const fixed = rt.staticCredentials();
      if (!fixed) throw new AuthManagerError(ErrorCode.CREDENTIALS_NOT_FOUND, `No ${provider} credentials for this subject: connect the account first`, { provider });
      return this.#valid(provider, this.#keep(provider, { credentials: fixed, source: 'static' }));
    });
    this.#noteLoad({ provider, token: false, promise: loading, from });
    return loading;
  }

  /** Marks `load` as this session's load in flight (unless another provider's is). */
  #noteLoad(load: PendingLoad): void {
    if (this.#load === undefined || this.#load.provider === load.provider) this.#load = load;
  }

  /**
   * The access token from the coordinator's shared read `from`, for `accessToken()`: every session
   * waiting on the same read joins one {@link SharedTokenLoad} (its list of waiting sessions and one
   * promise of the token), so a storm of ten thousand sessions on one credential costs one reaction
   * and a list entry per session, not a promise, a reaction and a closure each. When the read
   * settles, each waiting session still open keeps the one entry made for the record, then the token
   * is handed out.
   */
  #awaitToken(provider: string, rt: ProviderRuntime, from: Promise<Credentials<object> | undefined>): Promise<string> {
    const latest = latestTokenLoad;
    if (latest !== undefined && latest.from === from && latest.provider === provider) {
      latest.waiters.push(this);
      this.#noteLoad(latest);
      return latest.promise;
    }
    const waiters: Session[] = [this];
    const host = this.#host;
    const settled = (): void => {
      if (latestTokenLoad === load) latestTokenLoad = undefined;
      const disposing = load.disposeAfter;
      if (disposing !== undefined) for (const session of disposing) session.dispose();
    };
    const load: SharedTokenLoad = {
      provider,
      token: true,
      from,
      waiters,
      disposeAfter: undefined,
      promise: from.then((loaded) => {
        try {
          const credentials = loaded ?? rt.staticCredentials();
          if (credentials === undefined) throw new AuthManagerError(ErrorCode.CREDENTIALS_NOT_FOUND, `No ${provider} credentials for this subject: connect the account first`, { provider });
          // One entry for all of them: it holds one store record (or the configured static token),
          // and a refresh by any of them replaces it with the record's next version for all.
          const entry: Entry = { credentials, source: loaded ? 'store' : 'static' };
          for (const session of waiters) {
            if (session.#load === load) session.#load = undefined;
            if (!session.#closed) session.#keep(provider, entry);
          }
          // Stored credentials come back valid from the coordinator; static ones cannot be refreshed.
          if (entry.source === 'static' && credentials.needsRefresh(host.skewMs, host.now())) {
            throw new AuthManagerError(ErrorCode.REAUTHORIZATION_REQUIRED, `${provider}: the configured static token cannot be refreshed`, { provider });
          }
          return credentials.accessToken;
        } finally {
          settled();
        }
      }, (err: unknown) => {
        settled();
        throw err;
      }),
    };
    latestTokenLoad = load;
    this.#noteLoad(load);
    return load.promise;
  }

  /** `entry`, refreshed first when within the skew of expiry. */
  #valid(provider: string, entry: Entry): Entry | Promise<Entry> {
    if (!entry.credentials.needsRefresh(this.#host.skewMs, this.#host.now())) return entry;
    return this.#refresh(provider, entry).then(() => entry);
  }

  /** Holds `entry` for `provider`, unless a concurrent load won: all callers share the first entry. */
  #keep(provider: string, entry: Entry): Entry {
    const existing = this.#entry(provider);
    if (existing !== undefined) return existing;
    if (this.#firstProvider === undefined) {
      this.#firstProvider = provider;
      this.#firstEntry = entry;
    } else {
      (this.#entries ??= new Map()).set(provider, entry);
    }
    return entry;
  }

  async #refresh(provider: string, entry: Entry): Promise<void> {
    const stale = entry.credentials;
    if (entry.source === 'static') {
      throw new AuthManagerError(ErrorCode.REAUTHORIZATION_REQUIRED, `${provider}: the configured static token cannot be refreshed`, { provider });
    }
    const grant = this.#host.grant(provider);
    let fresh: Credentials<object>;
    if (entry.source === 'store') {
      fresh = await this.#host.coordinator.refresh(this.#storeKey(provider), this.subject, stale, grant);
    } else {
      // Only `withCredentials` entries are kept in the session, so it has settings.
      const settings = this.#settings!;
      fresh = await (settings.memoryRefresh ??= new SingleFlight()).run(provider, () => grant(stale));
    }
    if (entry.credentials === stale) entry.credentials = fresh;
  }
}
