import {
  SpanKind, SpanStatusCode, context, metrics, trace,
  type Attributes, type Counter, type Histogram, type Span, type Tracer,
} from '@opentelemetry/api';
import { AuthManagerError } from './AuthManagerError.js';

/** The instrumentation scope name of every span and metric authmanager makes. */
export const INSTRUMENTATION_SCOPE = '@authmanager/core';

/**
 * Attribute names. Ours are namespaced `authmanager.*`; HTTP spans use the OpenTelemetry HTTP client
 * semantic conventions (https://opentelemetry.io/docs/specs/semconv/http/http-spans/). No attribute
 * ever holds a token, a secret, a subject or a query string.
 */
export const TelemetryAttributes = {
  PROVIDER: 'authmanager.provider',
  /** `ok`, or the `AuthManagerError` code the operation failed with. */
  OUTCOME: 'authmanager.outcome',
  STORE_OPERATION: 'authmanager.store.operation',
  RECORD_KIND: 'authmanager.record.kind',
  LOCK_WAIT_MS: 'authmanager.lock.wait_ms',
  CACHE_RESULT: 'authmanager.session.cache.result',
} as const;

// Made once: these are passed on every span and every disposed session.
const INTERNAL_SPAN = Object.freeze({ kind: SpanKind.INTERNAL });
const CLIENT_SPAN = Object.freeze({ kind: SpanKind.CLIENT });
const CACHE_HIT: Attributes = Object.freeze({ [TelemetryAttributes.CACHE_RESULT]: 'hit' });
const CACHE_MISS: Attributes = Object.freeze({ [TelemetryAttributes.CACHE_RESULT]: 'miss' });

/** The outcome attribute of an error: its code, or `error` for anything that is not ours. */
export function outcomeOf(err: unknown): string {
  return AuthManagerError.is(err) ? err.code : 'error';
}

/**
 * Spans and metrics through `@opentelemetry/api` only: without an SDK every call is the API's no-op.
 * Instruments are made when the manager is built, so register a `MeterProvider` before constructing
 * `AuthManager` (tracing goes through the API's proxy and may be registered at any time).
 *
 * Metrics:
 * - `authmanager.refreshes` (counter) and `authmanager.refresh.duration` (histogram, s), by provider and outcome;
 * - `authmanager.lock.wait.duration` (histogram, s): waiting for the cross-process refresh lock, by provider;
 * - `authmanager.session.cache` (counter): `accessToken()` answered from the session's credential
 *   (`hit`) or after a store read (`miss`), added up when each session is disposed.
 *
 * Spans: `authmanager.authorize`, `authmanager.exchange`, `authmanager.refresh`, `authmanager.store.<op>`
 * and, for `session.fetch`, an HTTP client span named after the method.
 */
export class Telemetry {
  readonly #tracer: Tracer;
  readonly #refreshes: Counter;
  readonly #refreshDuration: Histogram;
  readonly #lockWait: Histogram;
  readonly #sessionCache: Counter;

  constructor() {
    this.#tracer = trace.getTracer(INSTRUMENTATION_SCOPE);
    const meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
    this.#refreshes = meter.createCounter('authmanager.refreshes', { description: 'Refresh token grants, by provider and outcome' });
    this.#refreshDuration = meter.createHistogram('authmanager.refresh.duration', { unit: 's', description: 'Duration of refreshes (lock, grant and store write), by provider and outcome' });
    this.#lockWait = meter.createHistogram('authmanager.lock.wait.duration', { unit: 's', description: 'Time spent waiting for the cross-process refresh lock' });
    this.#sessionCache = meter.createCounter('authmanager.session.cache', { description: "accessToken() answered from the session's credential (hit) or after a store read (miss)" });
  }

  /**
   * Runs `fn` in a span named `name`; the span ends with the outcome (`ok` or the error's code) and,
   * on failure, an error status carrying only the code (never the message).
   */
  span<T>(name: string, attributes: Attributes | (() => Attributes), fn: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
    const span = this.#tracer.startSpan(name, kind === SpanKind.CLIENT ? CLIENT_SPAN : INTERNAL_SPAN);
    // Without an SDK the span records nothing: skip the attributes, the context switch and the bookkeeping.
    if (!span.isRecording()) return fn(span);
    return this.inSpan(span, attributes, fn);
  }

  /**
   * A started internal span named `name` when it records, else `undefined`: for the hot paths (every
   * store call) that then build no closures or attributes at all without an SDK.
   */
  recordingSpan(name: string): Span | undefined {
    const span = this.#tracer.startSpan(name, INTERNAL_SPAN);
    return span.isRecording() ? span : undefined;
  }

  /** Runs `fn` in `span` (made active), which then ends with the outcome as {@link Telemetry.span} says. */
  inSpan<T>(span: Span, attributes: Attributes | (() => Attributes), fn: (span: Span) => Promise<T>): Promise<T> {
    span.setAttributes(typeof attributes === 'function' ? attributes() : attributes);
    return context.with(trace.setSpan(context.active(), span), async () => {
      try {
        const result = await fn(span);
        span.setAttribute(TelemetryAttributes.OUTCOME, 'ok');
        return result;
      } catch (err) {
        const outcome = outcomeOf(err);
        span.setAttribute(TelemetryAttributes.OUTCOME, outcome);
        span.setAttribute('error.type', outcome);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /** Records one refresh: its outcome and duration in milliseconds. */
  refreshed(provider: string, outcome: string, durationMs: number): void {
    const attributes = { [TelemetryAttributes.PROVIDER]: provider, [TelemetryAttributes.OUTCOME]: outcome };
    this.#refreshes.add(1, attributes);
    this.#refreshDuration.record(durationMs / 1000, attributes);
  }

  /** Records a wait for the refresh lock, milliseconds. */
  lockWaited(provider: string, waitMs: number): void {
    this.#lockWait.record(waitMs / 1000, { [TelemetryAttributes.PROVIDER]: provider });
  }

  /** Adds a disposed session's cache counts. */
  sessionCache(hits: number, misses: number): void {
    if (hits > 0) this.#sessionCache.add(hits, CACHE_HIT);
    if (misses > 0) this.#sessionCache.add(misses, CACHE_MISS);
  }

  /**
   * The HTTP client span of a `session.fetch` request (semantic conventions: name = method,
   * `http.request.method`, `server.address`, `server.port`, `url.full` without query or fragment,
   * `http.response.status_code`, `error.type`).
   */
  fetchSpan(provider: string, method: string, url: URL, send: () => Promise<Response>): Promise<Response> {
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const attributes: Attributes = {
      [TelemetryAttributes.PROVIDER]: provider,
      'http.request.method': method,
      'server.address': url.hostname,
      'server.port': port,
      'url.full': `${url.origin}${url.pathname}`,
    };
    return this.span(method, attributes, async (span) => {
      const response = await send();
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 400) {
        span.setAttribute('error.type', String(response.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return response;
    }, SpanKind.CLIENT);
  }
}
