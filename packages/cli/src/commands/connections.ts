import type { ConnectionInfo } from '@authmanager/core';
import type { CommandContext } from '../Context.js';
import { planLoopback } from '../loopback.js';
import { configuredRedirectUri } from './connect.js';

/** `59m`, `2h 5m`, `3d 4h`, `expired`; `—` for a token that does not expire. */
export function expiresIn(expiresAt: Date | undefined, nowMs: number): string {
  if (expiresAt === undefined) return '—';
  const seconds = Math.round((expiresAt.getTime() - nowMs) / 1000);
  if (seconds <= 0) return 'expired';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** One row of `authmanager list`. */
export interface ConnectionRow extends ConnectionInfo {
  readonly subject: string;
}

/** Every connection of `subject`, or of every subject in the store. */
export async function allConnections(ctx: CommandContext, subject: string | undefined): Promise<ConnectionRow[]> {
  const auth = await ctx.auth();
  const subjects = new Set<string>();
  if (subject !== undefined) subjects.add(subject);
  else for await (const key of auth.store.list({ kind: 'credentials' })) subjects.add(key.subject);
  const rows: ConnectionRow[] = [];
  for (const s of [...subjects].sort()) {
    for (const c of await auth.connections(s)) rows.push({ ...c, subject: s });
  }
  return rows;
}

/** `authmanager list` / `status`: a table of connections, no secrets. */
export async function list(ctx: CommandContext, options: { subject?: string }): Promise<void> {
  const rows = await allConnections(ctx, options.subject);
  const now = Date.now();
  const { out } = ctx;
  const status = (s: string): string => (s === 'active' ? out.color.green(s) : out.color.red(s));
  out.result({ connections: rows.map((r) => ({
    provider: r.provider, subject: r.subject, status: r.status,
    ...(r.account ? { account: r.account } : {}),
    ...(r.scopes ? { scopes: r.scopes } : {}),
    ...(r.expiresAt ? { expiresAt: r.expiresAt.toISOString() } : {}),
    ...(r.connectedAt ? { connectedAt: r.connectedAt.toISOString() } : {}),
    ...(r.lastRefreshedAt ? { lastRefreshedAt: r.lastRefreshedAt.toISOString() } : {}),
    ...(r.lastErrorCode ? { lastErrorCode: r.lastErrorCode } : {}),
  })) }, () => {
    if (rows.length === 0) return 'No connections. Run `authmanager connect <provider>` to add one.';
    return out.table(['provider', 'subject', 'account', 'status', 'expires in', 'scopes'],
      rows.map((r) => [r.provider, r.subject, r.account?.label ?? r.account?.id ?? '—', status(r.status), expiresIn(r.expiresAt, now), (r.scopes ?? []).join(' ') || '—']));
  });
}

/** `authmanager refresh <provider>`: refreshes now (single-flight across processes), prints no token. */
export async function refresh(ctx: CommandContext, provider: string, options: { subject?: string }): Promise<void> {
  const auth = await ctx.auth();
  const subject = ctx.subject(options.subject);
  auth.provider(provider);
  const credentials = await auth.withSession(subject, (session) => session.refresh(provider));
  const now = Date.now();
  ctx.out.result({ provider, subject, refreshed: true, ...(credentials.expiresAt ? { expiresAt: credentials.expiresAt.toISOString() } : {}) },
    () => `Refreshed ${provider} for subject ${subject}; the access token expires in ${expiresIn(credentials.expiresAt, now)}`);
}

/** `authmanager revoke <provider>`: revokes at the provider where it can, and deletes the credential. */
export async function revoke(ctx: CommandContext, provider: string, options: { subject?: string }): Promise<void> {
  const auth = await ctx.auth();
  const subject = ctx.subject(options.subject);
  const result = await auth.disconnect(provider, subject);
  ctx.out.result({ provider, subject, ...result }, () => {
    if (!result.existed) return `${provider} was not connected for subject ${subject}`;
    if (result.revoked) return `Revoked ${provider} for subject ${subject} and deleted the credential`;
    return `Deleted the ${provider} credential for subject ${subject}${result.revocationErrorCode ? ` (revocation failed: ${result.revocationErrorCode})` : ' (the provider has no revocation)'}`;
  });
}

/** `authmanager redirect-url <provider>`: the exact redirect URI to register at the provider. */
export async function redirectUrl(ctx: CommandContext, provider: string, options: { port?: number }): Promise<void> {
  const auth = await ctx.auth();
  auth.provider(provider);
  const plan = planLoopback(provider, configuredRedirectUri(auth, provider), options.port);
  ctx.out.result({ provider, redirectUri: plan.registered, listen: { host: plan.host, port: plan.port, path: plan.path } }, () => plan.registered);
}
