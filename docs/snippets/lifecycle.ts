import { createHmac } from 'node:crypto';
import { AuthManager, AuthManagerError, type AuthEventName, type ConnectionEvent } from '@authmanager/core';
import type { sandbox } from '@authmanager/testing';

type Auth = AuthManager<readonly [ReturnType<typeof sandbox>]>;

/** The callback route: whichever provider started the authorization (docs/lifecycle.md). */
export async function callback(auth: Auth, callbackUrl: string) {
  // #region complete
  const { provider, subject, account } = await auth.completeAuthorization({ callbackUrl });
  // stored under the subject that started it; `account` is who it is at the provider
  // #endregion complete
  return { provider, subject, account };
}

/** A settings page: the subject's connections, and a Disconnect button (docs/lifecycle.md). */
export async function settings(auth: Auth, userId: string) {
  // #region connections
  const rows = (await auth.connections(userId)).map((c) => ({
    provider: c.provider,
    account: c.account?.label ?? c.account?.id,
    status: c.status, // 'active' | 'refresh_failed' | 'reauthorization_required' | 'revoked'
    expiresAt: c.expiresAt?.toISOString(),
    reconnect: c.status === 'reauthorization_required',
  }));
  // #endregion connections
  return rows;
}

export async function disconnectRoute(auth: Auth, userId: string) {
  // #region disconnect
  const { existed, revoked, revocationErrorCode } = await auth.disconnect('sandbox', userId);
  // deleted either way; `revoked` says whether the provider confirmed the grant is gone
  // #endregion disconnect
  return { existed, revoked, revocationErrorCode };
}

/** Sends lifecycle events to a webhook, signed with HMAC-SHA256 (docs/lifecycle.md). */
export function webhooks(auth: Auth, endpoint: string, secret: string) {
  // #region webhook
  const send = (type: AuthEventName) => async (event: ConnectionEvent) => {
    const body = JSON.stringify({ type, ...event }); // provider, subject, connection, account, code, at: no secrets
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    await fetch(endpoint, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature-sha256': signature } });
  };
  const off = [
    auth.on('reauthorizationRequired', send('reauthorizationRequired')), // "please reconnect"
    auth.on('refreshFailed', send('refreshFailed')),
    auth.on('recovered', send('recovered')),
    auth.on('refreshTokenExpiring', send('refreshTokenExpiring')),
  ];
  // #endregion webhook
  return () => off.forEach((f) => f());
}

/** A request handler that tells the user to reconnect (docs/lifecycle.md). */
export async function apiCall(auth: Auth, userId: string) {
  // #region failfast
  try {
    return await auth.withSession(userId, (s) => s.accessToken('sandbox'));
  } catch (err) {
    // After invalid_grant every process fails fast with this, without calling the provider,
    // until the user connects again (one retry per refreshCooldownSeconds).
    if (AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')) return 'reconnect';
    if (AuthManagerError.is(err) && err.retryable) return `retry in ${err.retryAfterSeconds ?? 1} s`;
    throw err;
  }
  // #endregion failfast
}

/** A cron job and a worker that refresh ahead of time (docs/lifecycle.md). */
export async function cron(auth: Auth) {
  // #region refreshDue
  // every few minutes, in as many processes as you like: each credential is refreshed once
  const { due, refreshed, failed } = await auth.refreshDue({ withinSeconds: 300, limit: 500 });
  for (const f of failed) console.warn(`refresh failed: ${f.provider} ${f.code}`); // codes only, no secrets
  // #endregion refreshDue
  return { due, refreshed, failed };
}

export function worker(auth: Auth) {
  // #region startRefresher
  const refresher = auth.startRefresher({ intervalSeconds: 60, withinSeconds: 300, concurrency: 4 });
  process.once('SIGTERM', () => void refresher.stop()); // waits for a run in progress
  // #endregion startRefresher
  return refresher;
}
