/**
 * `node dist/main.js` (or `pnpm demo` at the root): starts the sandbox authorization server, builds
 * the AuthManager with every provider package that is present, and serves the connect demo.
 *
 * Environment: `PORT` (default 3000), `HOST` (default 127.0.0.1), `SANDBOX_PORT` (default: a free
 * port), `DEMO_PUBLIC_URL`, `DEMO_LOG_LEVEL` (default warn), `DEMO_SECRET` (default: random per
 * start), `REDIS_URL`, `AUTHMANAGER_KMS_KEY_ID`
 * (+ the AWS SDK's variables), `AUTHMANAGER_LOCAL_KEY`, and each provider's `<PROVIDER>_CLIENT_ID`,
 * `<PROVIDER>_CLIENT_SECRET`, `<PROVIDER>_REDIRECT_URI`. See README.md.
 */
import { AuthManager, AuthManagerError, type CredentialStore, type ProviderRegistration } from '@authmanager/core';
import { sandbox, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import type { FastifyInstance } from 'fastify';
import { callbackPath, createDemoApp, listeningOrigin } from './app.js';
import { readableLogDestination } from './logLines.js';
import { loadCatalogue, loadOptionalProviders } from './providers.js';
import { checkCredentialStore, createCredentialStore } from './store.js';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return value;
}

/** A line for the console: AuthManagerError messages never hold secrets; other errors print their message. */
function describeStartupError(err: unknown): string {
  if (AuthManagerError.is(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<void> {
  const host = process.env.HOST || '127.0.0.1';
  const publicUrl = process.env.DEMO_PUBLIC_URL || undefined;
  let sandboxServer: SandboxProvider | undefined;
  let store: CredentialStore | undefined;
  let auth: AuthManager<readonly ProviderRegistration[]> | undefined;
  let app: FastifyInstance | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    // Each step runs even if an earlier one failed: no port or connection is left open.
    const steps = [() => app?.close(), () => (auth ? auth.close() : store?.close?.()), () => sandboxServer?.close()];
    for (const step of steps) {
      try { await step(); } catch (err) { console.error(`connect-demo: while stopping: ${describeStartupError(err)}`); process.exitCode = 1; }
    }
  })());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        console.error(`connect-demo: ${signal} again, exiting now`);
        process.exit(1);
      }
      console.log(`\nconnect-demo: ${signal}, shutting down`);
      // Whatever is still open after 10 s (a hung store connection) must not keep the process alive.
      setTimeout(() => process.exit(1), 10_000).unref();
      void stop();
    });
  }

  try {
    const listenPort = port('PORT', 3000);
    const selected = await createCredentialStore();
    store = selected.store;
    const label = selected.label;
    await checkCredentialStore(selected);
    sandboxServer = await startSandboxProvider({ port: port('SANDBOX_PORT', 0), interactive: true });
    const optional = await loadOptionalProviders();
    const catalogue = await loadCatalogue();
    const providers: readonly ProviderRegistration[] = [
      sandbox({ issuer: sandboxServer.issuer, clientId: sandboxServer.clientId, clientSecret: sandboxServer.clientSecret }),
      ...optional.registrations,
      ...catalogue.registrations,
    ];
    const manager = new AuthManager({ providers, store });
    auth = manager;
    app = createDemoApp({
      auth: manager,
      storeLabel: label,
      logLevel: process.env.DEMO_LOG_LEVEL || 'warn',
      // A person reads a terminal; a pipe or file gets pino's JSON lines for tools.
      ...(process.stdout.isTTY ? { logStream: readableLogDestination(process.stdout) } : {}),
      ...(process.env.DEMO_SECRET ? { secret: process.env.DEMO_SECRET } : {}),
      ...(publicUrl ? { publicUrl } : {}),
    });
    await app.listen({ port: listenPort, host });
    const origin = publicUrl?.replace(/\/+$/, '') ?? listeningOrigin(app.server);
    sandboxServer.addRedirectUri(`${origin}${callbackPath('sandbox')}`);

    console.log(`connect-demo: open ${origin}`);
    console.log(`  store:    ${label}`);
    console.log(`  sandbox:  ${sandboxServer.issuer} (any username, no password)`);
    console.log(`  providers: ${manager.providerIds.join(', ')}`);
    for (const { packageName, reason } of [...optional.skipped, ...catalogue.skipped]) console.log(`  skipped ${packageName}: ${reason}`);
    console.log('  Ctrl-C to stop');
  } catch (err) {
    console.error(`connect-demo: could not start: ${describeStartupError(err)}`);
    process.exitCode = 1;
    await stop();
  }
}

await main();
