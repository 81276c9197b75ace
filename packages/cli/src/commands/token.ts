import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode } from '@authmanager/core';
import type { CommandContext } from '../Context.js';
import { CliError, ExitCode } from '../ExitCode.js';

/** Refuses to write a secret to a terminal unless `--show` was given. */
function refuseTty(ctx: CommandContext, show: boolean | undefined, what: string, instead: string): void {
  if (ctx.out.stdoutIsTTY && show !== true) {
    throw new CliError(ExitCode.REFUSED_TTY, 'REFUSED_TTY', `refusing to print ${what} to a terminal`, `add --show to print it anyway, or ${instead}`);
  }
}

/** `authmanager token <provider>`: an access token valid now, refreshed when needed. */
export async function token(ctx: CommandContext, provider: string, options: { subject?: string; show?: boolean }): Promise<void> {
  refuseTty(ctx, options.show, 'an access token', 'use it in a command: curl -H "Authorization: Bearer $(authmanager token <provider>)" …');
  const auth = await ctx.auth();
  const subject = ctx.subject(options.subject);
  auth.provider(provider);
  const credentials = await auth.withSession(subject, (session) => session.credentials(provider));
  ctx.out.result({
    provider, subject, accessToken: credentials.accessToken, tokenType: credentials.tokenType,
    ...(credentials.expiresAt ? { expiresAt: credentials.expiresAt.toISOString() } : {}),
  }, () => credentials.accessToken);
}

/** The env variable name for a provider's token: `github` → `GITHUB_TOKEN`, `my-api` → `MY_API_TOKEN`. */
export function envVariableFor(provider: string): string {
  return `${provider.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_TOKEN`;
}

/** A dotenv value: bare when safe, else double-quoted with `\`, `"`, `$` and newlines escaped. */
function dotenvValue(value: string): string {
  return /^[\w.~+/=:-]*$/.test(value) ? value : `"${value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/**
 * Merges `values` into dotenv text: a line assigning one of them (`NAME=…` or `export NAME=…`) is
 * replaced in place, new names are appended, every other line (comments, blank lines, other
 * variables) is kept as it was.
 */
export function mergeDotenv(text: string, values: ReadonlyMap<string, string>): string {
  const pending = new Map(values);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const merged = lines.map((line) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    const name = m?.[1];
    if (name === undefined || !pending.has(name)) return line;
    const value = pending.get(name)!;
    pending.delete(name);
    return `${name}=${dotenvValue(value)}`;
  });
  for (const [name, value] of pending) merged.push(`${name}=${dotenvValue(value)}`);
  return `${merged.join('\n')}\n`;
}

/** Options of `authmanager env pull`. */
export interface EnvPullOptions {
  readonly out: string;
  readonly subject?: string;
  readonly provider?: string[];
  readonly show?: boolean;
}

/**
 * `authmanager env pull`: a fresh access token per connected provider as `PROVIDER_TOKEN=…` lines in
 * a dotenv file (mode 0600; other lines kept), or on stdout with `--out -`.
 */
export async function envPull(ctx: CommandContext, options: EnvPullOptions): Promise<void> {
  const toStdout = options.out === '-';
  if (toStdout) refuseTty(ctx, options.show, 'access tokens', 'write them to a file: authmanager env pull --out .env');
  const auth = await ctx.auth();
  const subject = ctx.subject(options.subject);
  const providers = options.provider ?? (await auth.connections(subject)).map((c) => c.provider);
  if (providers.length === 0) {
    throw new CliError(ExitCode.NOT_CONNECTED, ErrorCode.CREDENTIALS_NOT_FOUND, `subject ${subject} has no connections`, 'run `authmanager connect <provider>` first');
  }
  const values = new Map<string, string>();
  const written: { provider: string; variable: string; expiresAt?: string }[] = [];
  await auth.withSession(subject, async (session) => {
    for (const provider of providers) {
      auth.provider(provider);
      const credentials = await session.credentials(provider);
      const variable = envVariableFor(provider);
      values.set(variable, credentials.accessToken);
      written.push({ provider, variable, ...(credentials.expiresAt ? { expiresAt: credentials.expiresAt.toISOString() } : {}) });
    }
  });
  if (toStdout) {
    const text = mergeDotenv('', values);
    ctx.out.result({ subject, variables: written.map((w) => ({ ...w, value: values.get(w.variable) })) }, () => text);
    return;
  }
  const path = resolve(ctx.io.cwd, options.out);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  // Written beside the target and renamed over it, so the file is never half-written or briefly
  // readable by others; the mode is set again in case the umask widened it.
  const temp = `${path}.authmanager-${process.pid}.tmp`;
  writeFileSync(temp, mergeDotenv(before, values), { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
  ctx.out.result({ subject, file: path, mode: '0600', variables: written }, () =>
    `Wrote ${written.map((w) => w.variable).join(', ')} to ${path} (mode 0600)`);
}
