/** The endpoints of an emulated provider, as the request log names them. */
export type EmulatorEndpoint =
  | 'authorize' | 'token' | 'revocation' | 'introspection' | 'userinfo' | 'jwks' | 'discovery' | 'identity' | 'api' | 'unknown';

/** One request as the emulator received it. */
export interface EmulatorRequest {
  readonly endpoint: EmulatorEndpoint;
  readonly method: string;
  /** Path and query as received, e.g. `/acme.example/oauth/token`. */
  readonly path: string;
  /** Header names lowercased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received (`''` when none). */
  readonly body: string;
  /** Form fields or JSON members of the body; query parameters of a GET. */
  readonly params: Readonly<Record<string, string>>;
}

/** A canned answer for {@link RequestLog.failNext}. */
export interface InjectedFailure {
  /** HTTP status. */
  readonly status: number;
  /** An object is sent as JSON; a string as it is. @default none */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Every request an emulator received, oldest first, and the failures queued for the next requests
 * to an endpoint.
 */
export class RequestLog {
  readonly #entries: EmulatorRequest[] = [];
  readonly #failures = new Map<EmulatorEndpoint, InjectedFailure[]>();

  /** Appends one request. */
  record(request: EmulatorRequest): void { this.#entries.push(request); }

  /** The requests received (by one endpoint, when given), oldest first. */
  requests(endpoint?: EmulatorEndpoint): EmulatorRequest[] {
    return this.#entries.filter((r) => endpoint === undefined || r.endpoint === endpoint);
  }

  /** How many requests were received (by one endpoint, when given). */
  requestCount(endpoint?: EmulatorEndpoint): number { return this.requests(endpoint).length; }

  /** Empties the log (queued failures stay). */
  clearRequests(): void { this.#entries.length = 0; }

  /** Queues a canned answer for the next request to `endpoint` (several calls queue in order). */
  failNext(endpoint: EmulatorEndpoint, failure: InjectedFailure): void {
    this.#failures.set(endpoint, [...(this.#failures.get(endpoint) ?? []), failure]);
  }

  /** Takes the next queued failure of `endpoint`, if any. */
  takeFailure(endpoint: EmulatorEndpoint): InjectedFailure | undefined { return this.#failures.get(endpoint)?.shift(); }
}
