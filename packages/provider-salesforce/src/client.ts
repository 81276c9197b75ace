import { AuthManagerError, ErrorCode, matchesOriginPattern, type ClientContext, type Credentials } from '@authmanager/core/provider';
import type { Connection } from 'jsforce';
import type { SalesforceUserCredentialExtras } from './extras.js';
import { configuredInstanceUrl, instanceOrigins, type InstanceOriginApp } from './instanceUrl.js';

/** The app credentials the jsforce client reads. */
interface JsforceApp extends InstanceOriginApp {
  readonly apiVersion: string;
  readonly loginUrl: string;
}

/**
 * The instance jsforce is pointed at: the credential's `instance_url`, else the configured one,
 * checked against the origins core checks `session.fetch` against (jsforce sends the token itself).
 * @throws AuthManagerError `INVALID_STORED_CREDENTIALS` | `CONFIGURATION`, as `session.fetch` does
 */
function instanceUrlOf(credentials: Credentials<SalesforceUserCredentialExtras>, app: JsforceApp): string {
  const stored: unknown = credentials.extras.instance_url;
  if (stored === undefined) return configuredInstanceUrl(app);
  if (typeof stored !== 'string' || !matchesOriginPattern(stored, instanceOrigins(app))) {
    throw new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS, 'salesforce: the credential\'s instance_url is not among the provider\'s declared API hosts; the access token is not sent there. Connect the subject again', { provider: 'salesforce' });
  }
  return stored.replace(/\/+$/, '');
}

type ConnectionClass = typeof import('jsforce').Connection;

/** jsforce's `Connection`, loaded on first use (optional peer dependency). */
async function loadConnectionClass(): Promise<ConnectionClass> {
  let mod: { Connection?: ConnectionClass; default?: { Connection?: ConnectionClass } };
  try {
    mod = await import('jsforce') as typeof mod;
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw cause;
    throw new AuthManagerError(ErrorCode.CONFIGURATION, 'salesforce: client() needs the optional peer dependency jsforce (npm install jsforce)', { cause, provider: 'salesforce' });
  }
  const found = mod.Connection ?? mod.default?.Connection;
  if (!found) throw new AuthManagerError(ErrorCode.CONFIGURATION, 'salesforce: the installed jsforce exports no Connection (jsforce >= 3 is needed)', { provider: 'salesforce' });
  return found;
}

/**
 * A jsforce `Connection` on the credential's instance. jsforce never sees the refresh token: when it
 * gets HTTP 401 it calls `refreshFn`, which takes the session's newer token if there is one and
 * otherwise refreshes through the session (single-flight, stored). jsforce retries a call on the
 * URL it first built, so when the refresh moved the org to another `instance_url` the connection is
 * re-pointed and that one call fails (retrying it on the old instance would 401 and refresh forever);
 * the next call goes to the new instance.
 */
export async function jsforceClient(ctx: ClientContext<JsforceApp, SalesforceUserCredentialExtras>): Promise<Connection> {
  const JsforceConnection = await loadConnectionClass();
  const credentials = await ctx.credentials();
  return new JsforceConnection({
    instanceUrl: instanceUrlOf(credentials, ctx.app),
    accessToken: credentials.accessToken,
    version: ctx.app.apiVersion,
    loginUrl: ctx.app.loginUrl,
    refreshFn: (conn, callback) => {
      (async () => {
        let fresh = await ctx.credentials();
        if (fresh.accessToken === conn.accessToken) fresh = await ctx.refresh();
        const instanceUrl = instanceUrlOf(fresh, ctx.app);
        if (instanceUrl !== conn.instanceUrl.replace(/\/+$/, '')) {
          conn.accessToken = fresh.accessToken;
          conn.instanceUrl = instanceUrl;
          throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `salesforce: the org moved to ${instanceUrl}; the connection now points there, retry the call`, { provider: 'salesforce' });
        }
        callback(null, fresh.accessToken);
      })().catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
  });
}
