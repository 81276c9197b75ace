import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { AuthManager, type CredentialStore, type Credentials } from '@authmanager/core';
import { followAuthorization } from '../followAuthorization.js';
import { sandbox } from '../sandbox/provider.js';
import { startSandboxProvider, type SandboxProvider } from '../sandbox/sandboxServer.js';
import { StormWorkers } from '../storm/stormWorkers.js';

/** What {@link describeRefreshStorm} needs from a store package. */
export interface RefreshStormOptions {
  /** A new store on the shared backend (called in the test, after `beforeAll`). */
  readonly store: () => CredentialStore;
  /**
   * The worker script: argv `issuer redirectUri <backend> subject callers`, prints `ready`, waits for
   * `go`, prints one JSON report line (see `StormWorkers`).
   */
  readonly worker: URL;
  /** The `<backend>` argument the workers get (a URL), read when the storm starts. */
  readonly backend: () => string;
  /** @default 4 */
  readonly processes?: number;
  /** @default 100 */
  readonly callers?: number;
}

const REDIRECT = 'http://127.0.0.1:9/callback';

/**
 * The cross-process refresh storm every shared store must survive: `processes` × `callers`
 * concurrent `accessToken()` on one expired credential with refresh-token rotation on make exactly
 * one token request, every caller gets the same new token, and the rotated refresh token is kept.
 * Runs against the sandbox authorization server (started here) and the store's real backend.
 */
export function describeRefreshStorm(name: string, options: RefreshStormOptions): void {
  const processes = options.processes ?? 4;
  const callers = options.callers ?? 100;
  describe(`refresh across processes: ${name}`, () => {
    let server: SandboxProvider;
    const workers = new StormWorkers(options.worker);
    beforeAll(async () => {
      server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], refreshTokenRotation: true });
    });
    afterAll(async () => {
      workers.killAll();
      await server.close();
    });

    it(`${processes} processes × ${callers} concurrent accessToken() on one expired credential: one refresh, one token`, async () => {
      const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store: options.store() });
      const { url } = await auth.sandbox.oauth2.authorize({ subject: 'storm', params: { login_hint: 'storm' } });
      const { credentials } = await auth.sandbox.oauth2.exchange({ callbackUrl: await followAuthorization(url, REDIRECT) });
      // Stored as already expired (the tokens themselves are still good at the server).
      await auth.storeCredentials('sandbox', 'storm', credentials.with({ expiresAt: new Date(Date.now() - 1000) }));

      const started = await Promise.all(Array.from({ length: processes }, () => workers.start([server.issuer, REDIRECT, options.backend(), 'storm', String(callers)])));
      server.resetCounts();
      for (const w of started) w.go();
      const reports = await Promise.all(started.map((w) => w.report));

      expect(server.requestCount('token:refresh_token')).toBe(1);
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      const tokens = reports.flatMap((r) => r.tokens);
      expect(tokens).toHaveLength(processes * callers);
      expect(new Set(tokens).size).toBe(1);
      const stored = await auth.loadCredentials('sandbox', 'storm') as Credentials<object>;
      expect(createHash('sha256').update(stored.accessToken).digest('hex')).toBe(tokens[0]);
      expect(stored.accessToken).not.toBe(credentials.accessToken);
      expect(stored.refreshToken).not.toBe(credentials.refreshToken); // rotated, and the new one was kept
      await auth.close();
    }, 60_000);
  });
}
