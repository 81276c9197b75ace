import type { ErrorCode } from './ErrorCode.js';
import type { AccountInfo } from './ProviderDefinition.js';

/** What every connection event carries. Never a token or secret. */
export interface ConnectionEvent {
  readonly provider: string;
  readonly subject: string;
  /** The connection's label: `'default'`, or the one given to `authorize` / `storeCredentials`. */
  readonly connection: string;
  /** Who the credential belongs to upstream, when the provider says. */
  readonly account?: AccountInfo;
  /** When it happened. */
  readonly at: Date;
}

/** The connection lifecycle events, by name, with their payloads. */
export interface AuthEventMap {
  /** A credential was stored: an authorization completed, or `storeCredentials`. */
  readonly connected: ConnectionEvent;
  /** An access token was refreshed and stored. */
  readonly refreshed: ConnectionEvent;
  /** A refresh failed for a reason that may pass (network, 5xx, 429, a refused request); retried with backoff. */
  readonly refreshFailed: ConnectionEvent & { readonly code: ErrorCode };
  /** The refresh token was refused (`invalid_grant`): the user must connect again. */
  readonly reauthorizationRequired: ConnectionEvent & { readonly code: ErrorCode };
  /** A refresh worked after failures. */
  readonly recovered: ConnectionEvent;
  /** A connection was removed (`disconnect`), revoked at the provider or not. */
  readonly disconnected: ConnectionEvent & { readonly revoked: boolean };
  /** A refresh gave a refresh token that expires within `refreshTokenExpiryWarningSeconds`. */
  readonly refreshTokenExpiring: ConnectionEvent & { readonly refreshTokenExpiresAt: Date };
}

/** An event name. */
export type AuthEventName = keyof AuthEventMap;

/** A listener of event `E`; it may return a promise, whose rejection is ignored like a throw. */
export type AuthEventListener<E extends AuthEventName> = (event: AuthEventMap[E]) => void | Promise<void>;

/**
 * Typed listeners for the connection lifecycle. A throwing or rejecting listener never breaks the
 * flow that emitted the event (it is reported to `onListenerError`, which defaults to ignoring it).
 */
export class AuthEvents {
  readonly #listeners = new Map<AuthEventName, Set<AuthEventListener<never>>>();
  readonly #onListenerError: (error: unknown, event: AuthEventName) => void;

  constructor(onListenerError: (error: unknown, event: AuthEventName) => void = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  /**
   * Adds a listener.
   * @returns a function that removes it
   */
  on<E extends AuthEventName>(event: E, listener: AuthEventListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as AuthEventListener<never>);
    return () => { set.delete(listener as AuthEventListener<never>); };
  }

  /** Whether anything listens to `event` (so payloads are built only when needed). */
  has(event: AuthEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls each listener of `event`; never throws. */
  emit<E extends AuthEventName>(event: E, payload: AuthEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        const result = (listener as AuthEventListener<E>)(payload);
        if (result && typeof (result as Promise<void>).then === 'function') {
          (result as Promise<void>).then(undefined, (err: unknown) => this.#report(err, event));
        }
      } catch (err) {
        this.#report(err, event);
      }
    }
  }

  #report(error: unknown, event: AuthEventName): void {
    try { this.#onListenerError(error, event); } catch { /* never breaks the flow */ }
  }
}
