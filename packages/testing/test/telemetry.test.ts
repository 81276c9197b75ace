// OpenTelemetry through @opentelemetry/api only, checked with the real SDK and in-memory exporters.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, metrics, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AuthManager } from '@authmanager/core';
import { startSandboxProvider, type SandboxProvider } from '../src/sandbox/sandboxServer.js';
import { sandbox } from '../src/sandbox/provider.js';
import { followAuthorization } from '../src/followAuthorization.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
let server: SandboxProvider;
let secrets: string[];

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT] });

  const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })] });
  const { url } = await auth.sandbox.oauth2.authorize({ subject: 'otel-user', params: { login_hint: 'otel-user' } });
  const { credentials } = await auth.completeAuthorization({ callbackUrl: await followAuthorization(url, REDIRECT) });
  await auth.withSession('otel-user', async (s) => {
    await s.accessToken('sandbox');
    await s.accessToken('sandbox');
    await (await s.fetch('sandbox', '/api/me?debug=1')).text();
    await s.refresh('sandbox');
  });
  server.failNext('token', { status: 503 });
  await auth.withSession('otel-user', (s) => s.refresh('sandbox')).catch(() => undefined);
  secrets = [credentials.accessToken, credentials.refreshToken!, server.clientSecret];
  await reader.forceFlush();
});
afterAll(async () => {
  await server.close();
  trace.disable(); metrics.disable(); context.disable();
});

const finished = (): ReadableSpan[] => spans.getFinishedSpans();
const named = (name: string) => finished().filter((s) => s.name === name);

describe('spans', () => {
  it('authorize and exchange, with the provider and outcome', () => {
    expect(named('authmanager.authorize')[0]?.attributes).toMatchObject({ 'authmanager.provider': 'sandbox', 'authmanager.outcome': 'ok' });
    expect(named('authmanager.exchange')[0]?.attributes).toMatchObject({ 'authmanager.provider': 'sandbox', 'authmanager.outcome': 'ok' });
  });
  it('refresh, with its outcome code on failure and an error status', () => {
    const refreshes = named('authmanager.refresh');
    expect(refreshes.map((s) => s.attributes['authmanager.outcome'])).toEqual(['ok', 'PROVIDER_UNAVAILABLE']);
    expect(refreshes[1]!.status.code).toBe(SpanStatusCode.ERROR);
  });
  it('store operations are children of the operation that made them', () => {
    const stores = finished().filter((s) => s.name.startsWith('authmanager.store.'));
    expect(new Set(stores.map((s) => s.name))).toEqual(new Set(['authmanager.store.set', 'authmanager.store.take', 'authmanager.store.get']));
    const refresh = named('authmanager.refresh')[0]!;
    const underRefresh = stores.filter((s) => s.parentSpanContext?.spanId === refresh.spanContext().spanId);
    expect(underRefresh.map((s) => s.name)).toEqual(expect.arrayContaining(['authmanager.store.get', 'authmanager.store.set']));
    expect(underRefresh[0]!.attributes).toMatchObject({ 'authmanager.store.operation': expect.any(String), 'authmanager.record.kind': 'credentials', 'authmanager.provider': 'sandbox' });
  });
  it('session.fetch is an HTTP client span (semantic conventions), without the query string', () => {
    const [get] = named('GET');
    expect(get!.kind).toBe(SpanKind.CLIENT);
    expect(get!.attributes).toMatchObject({
      'http.request.method': 'GET', 'http.response.status_code': 200, 'server.address': '127.0.0.1',
      'server.port': Number(new URL(server.issuer).port), 'url.full': `${server.issuer}/api/me`,
    });
  });
  it('no span holds a token, a secret or the subject', () => {
    const text = JSON.stringify(finished().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    for (const secret of [...secrets, 'otel-user']) expect(text).not.toContain(secret);
  });
});

describe('metrics', () => {
  type Point = { readonly attributes: Record<string, unknown>; readonly value: unknown };
  const points = (name: string): Point[] => metricExporter.getMetrics().flatMap((r) => r.scopeMetrics).flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as readonly Point[]);
  it('refresh count and duration by provider and outcome', () => {
    const counts = Object.fromEntries(points('authmanager.refreshes').map((p) => [String(p.attributes['authmanager.outcome']), p.value]));
    expect(counts).toEqual({ ok: 1, PROVIDER_UNAVAILABLE: 1 });
    const durations = points('authmanager.refresh.duration');
    expect(durations.every((p) => p.attributes['authmanager.provider'] === 'sandbox')).toBe(true);
    expect(durations.map((p) => (p.value as { count: number }).count).reduce((a, b) => a + b, 0)).toBe(2);
  });
  it('session cache hits and misses', () => {
    const byResult = Object.fromEntries(points('authmanager.session.cache').map((p) => [String(p.attributes['authmanager.session.cache.result']), p.value]));
    expect(byResult).toEqual({ hit: 1, miss: 1 });
  });
});
