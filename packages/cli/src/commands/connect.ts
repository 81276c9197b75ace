import { writeFileSync, mkdirSync } from 'node:fs';
import { AuthManagerError, type OAuth2Flow } from '@authmanager/core';
import type { SandboxProvider } from '@authmanager/testing';
import { loadSandbox } from '../quiet.js';
import { findConfigFile } from '../config.js';
import type { CommandContext } from '../Context.js';
import { connectWithDeviceCode } from '../device.js';
import { CliError, ExitCode } from '../ExitCode.js';
import { listenLoopback, planLoopback } from '../loopback.js';
import { localPaths } from '../paths.js';

/** Options of `authmanager connect`. */
export interface ConnectOptions {
  readonly subject?: string;
  readonly scopes?: string[];
  readonly device?: boolean;
  readonly port?: number;
  readonly browser?: boolean;
  readonly timeout: number;
}

/** Whether a browser can be opened here: a desktop OS, or a Unix with a display. */
function canOpenBrowser(env: NodeJS.ProcessEnv): boolean {
  if (env.AUTHMANAGER_NO_BROWSER) return false;
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The provider's configured redirect URI, when its app credentials resolve. */
export function configuredRedirectUri(auth: { provider(id: string): { app(): unknown } }, provider: string): string | undefined {
  try {
    const app = auth.provider(provider).app() as { redirectUri?: unknown };
    return typeof app.redirectUri === 'string' ? app.redirectUri : undefined;
  } catch (err) {
    if (AuthManagerError.is(err, 'PROVIDER_NOT_REGISTERED')) throw err;
    return undefined;
  }
}

/** Aborts on SIGINT/SIGTERM and after `timeoutSeconds`; `dispose` removes the listeners. */
function cancellation(timeoutSeconds: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => { controller.abort(new CliError(ExitCode.INTERRUPTED, 'INTERRUPTED', 'interrupted')); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const timer = setTimeout(() => {
    controller.abort(new CliError(ExitCode.TIMEOUT, 'TIMEOUT', `no authorization within ${timeoutSeconds} s`, 'run the command again and approve in the browser (or pass a longer --timeout)'));
  }, timeoutSeconds * 1000);
  timer.unref();
  return { signal: controller.signal, dispose: () => { clearTimeout(timer); process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); } };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

/**
 * `authmanager connect <provider>`: the authorization code flow with PKCE through a loopback
 * redirect (RFC 8252 §7.3), or with `--device` the device authorization grant (RFC 8628).
 */
export async function connect(ctx: CommandContext, provider: string, options: ConnectOptions): Promise<void> {
  const { out, io } = ctx;
  const subject = ctx.subject(options.subject);
  const cancel = cancellation(options.timeout);
  let embedded: SandboxProvider | undefined;
  try {
    // First try, no configuration: the sandbox runs inside this command.
    const firstTry = provider === 'sandbox' && !options.device && !io.env.SANDBOX_ISSUER && findConfigFile(io.cwd, ctx.options.config) === undefined;
    if (firstTry) {
      embedded = await (await loadSandbox()).startSandboxProvider({ interactive: true });
      mkdirSync(ctx.configDir, { recursive: true, mode: 0o700 });
      writeFileSync(localPaths(ctx.configDir).sandbox, `${JSON.stringify({ issuer: embedded.issuer })}\n`, { mode: 0o600 });
      out.info(out.errColor.dim(`Started the built-in sandbox authorization server at ${embedded.issuer} (sign in with any username).`));
    }
    const { auth } = await ctx.config(embedded?.issuer);
    const handle = auth.provider(provider);
    if (options.device) {
      const spinner = { current: undefined as ReturnType<typeof out.spinner> | undefined };
      await Promise.race([aborted(cancel.signal), connectWithDeviceCode(auth, provider, {
        subject, scopes: options.scopes, signal: cancel.signal,
        onPrompt: (p) => {
          if (out.json) io.stderr.write(`${JSON.stringify({ verificationUri: p.verificationUri, userCode: p.userCode, ...(p.verificationUriComplete ? { verificationUriComplete: p.verificationUriComplete } : {}) })}\n`);
          else {
            out.info(`To connect ${handle.displayName}, open ${out.errColor.bold(p.verificationUriComplete ?? p.verificationUri)}`);
            out.info(`and enter the code ${out.errColor.bold(p.userCode)} (valid ${Math.round(p.expiresInSeconds / 60)} min).`);
          }
          spinner.current = out.spinner('Waiting for the code to be approved… (Ctrl-C to cancel)');
        },
      }).catch((err: unknown) => { spinner.current?.fail('Not connected'); throw err; })]);
      spinner.current?.succeed(`Connected ${handle.displayName} for subject ${subject}`);
      const account = await auth.account(provider, subject).catch(() => undefined);
      out.result({ provider, subject, flow: 'device_code', ...(account ? { account } : {}) }, () => '');
      return;
    }
    const missing = handle.missingForOAuth();
    if (missing.length > 0) {
      throw new CliError(ExitCode.CONFIGURATION, 'CONFIGURATION', `${provider}: ${missing.map((m) => m.field).join(' and ')} not set`,
        `set ${missing.map((m) => m.env[0] ?? m.field).join(' and ')} (see \`authmanager redirect-url ${provider}\` for the redirect URI to register)`);
    }
    const plan = embedded ? planLoopback(provider, undefined, 0) : planLoopback(provider, configuredRedirectUri(auth, provider), options.port);
    let state: string | undefined;
    const receiver = await listenLoopback(plan, () => state).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(ExitCode.UNAVAILABLE, 'LOOPBACK_UNAVAILABLE', `cannot listen on ${plan.host}:${plan.port} for the redirect: ${err.code ?? err.message}`,
        'stop whatever uses that port, or register another redirect URI and pass --port');
    });
    embedded?.addRedirectUri(receiver.redirectUri);
    let finished = false;
    try {
      const request = await (handle as unknown as { oauth2: OAuth2Flow }).oauth2.authorize({ subject, redirectUri: receiver.redirectUri, ...(options.scopes ? { scopes: options.scopes } : {}) });
      state = request.state;
      const url = request.url.href;
      // The URL is printed whatever else happens: with no display, or if the browser does not open.
      if (out.json) io.stderr.write(`${JSON.stringify({ authorizationUrl: url, redirectUri: receiver.redirectUri })}\n`);
      else {
        out.info(`Open this URL to connect ${handle.displayName}:`);
        out.info(`  ${url}`);
      }
      if (options.browser !== false && canOpenBrowser(io.env)) {
        const { default: open } = await import('open');
        await open(url).catch(() => undefined);
      }
      const spinner = out.spinner(`Waiting for the authorization on ${receiver.redirectUri}… (Ctrl-C to cancel)`);
      let completed;
      try {
        const callbackUrl = await Promise.race([receiver.callback, aborted(cancel.signal)]);
        completed = await auth.completeAuthorization({ callbackUrl });
      } catch (err) {
        spinner.fail('Not connected');
        const message = AuthManagerError.is(err) ? err.message : 'the authorization did not complete';
        await receiver.finish(false, message);
        finished = true;
        throw err;
      }
      await receiver.finish(true, `${handle.displayName} is connected. The credential is stored.`);
      finished = true;
      const label = completed.account?.label ?? completed.account?.id;
      spinner.succeed(`Connected ${handle.displayName}${label ? ` as ${label}` : ''} for subject ${subject}`);
      const c = completed.credentials;
      out.result({
        provider, subject, flow: 'authorization_code',
        ...(completed.account ? { account: completed.account } : {}),
        ...(c.scopes ? { scopes: c.scopes } : {}),
        ...(c.expiresAt ? { expiresAt: c.expiresAt.toISOString() } : {}),
        refreshToken: c.refreshToken !== undefined,
      }, () => '');
    } finally {
      if (!finished) await receiver.finish(false, 'The terminal stopped waiting.');
    }
  } finally {
    cancel.dispose();
    await embedded?.close();
  }
}
