import * as oauth from 'openid-client';
import { placeCredential } from './ApiRequest.js';
import { readCapped } from './ClientConfiguration.js';
import type { Credentials } from './Credentials.js';
import { valueAtPath } from './OAuthEndpointQuirks.js';
import type { ProviderRuntime } from './ProviderRuntime.js';

/** Extras an identity lookup records. */
export interface IdentityExtras {
  /** The stable upstream id. */
  readonly account_id: string;
  /** A human-readable label, when the provider gives one. */
  readonly account_label?: string;
}

/**
 * Who a freshly exchanged credential belongs to, as the definition's `identity` says: fields of the
 * token response, the OpenID Connect UserInfo endpoint (its `sub` checked against the ID token's,
 * OpenID Connect Core §5.3.2), or an API endpoint called with the new token. A lookup that fails
 * (network, an error status, a missing field) records nothing: the credential is kept, without an
 * account (so a re-connect to another account cannot be detected for it).
 * @param response - the token response, as openid-client returned it
 * @returns `account_id` / `account_label` extras, or `undefined`
 */
export async function identify(rt: ProviderRuntime, credentials: Credentials<object>, response: Record<string, unknown>, config: oauth.Configuration): Promise<IdentityExtras | undefined> {
  const identity = rt.definition.identity;
  if (!identity) return undefined;
  try {
    if ('fromTokenResponse' in identity) return pick(response, identity.fromTokenResponse.id, identity.fromTokenResponse.label);
    if ('userinfo' in identity) {
      const claims = typeof response.claims === 'function' ? (response.claims as () => { sub?: string } | undefined)() : undefined;
      const info = await oauth.fetchUserInfo(config, credentials.accessToken, claims?.sub ?? oauth.skipSubjectCheck);
      return pick(info, identity.userinfo.id ?? 'sub', identity.userinfo.label);
    }
    const endpoint = typeof identity.endpoint === 'function' ? identity.endpoint(rt.app) : identity.endpoint;
    const headers = new Headers({ accept: 'application/json', ...rt.apiHeaders(credentials) });
    // A path goes below the API base URL with the same origin checks as session.fetch.
    const url = placeCredential(rt, credentials, /^https?:/i.test(endpoint) ? new URL(endpoint) : rt.apiUrl(endpoint, credentials), headers);
    if (identity.body !== undefined) headers.set('content-type', 'application/json');
    const res = await readCapped(await rt.fetch(url, {
      method: identity.method ?? (identity.body !== undefined ? 'POST' : 'GET'), headers,
      ...(identity.body !== undefined ? { body: JSON.stringify(identity.body) } : {}),
      signal: AbortSignal.timeout(rt.timeoutMs),
    }), rt.maxResponseBytes, rt.id);
    if (!res.ok) { await res.body?.cancel(); return undefined; }
    return pick(await res.json() as unknown, identity.id, identity.label);
  } catch {
    return undefined;
  }
}

function pick(body: unknown, idPath: string, labelPath: string | undefined): IdentityExtras | undefined {
  const id = valueAtPath(body, idPath);
  if ((typeof id !== 'string' || id === '') && typeof id !== 'number') return undefined;
  const label = labelPath === undefined ? undefined : valueAtPath(body, labelPath);
  return { account_id: String(id), ...(typeof label === 'string' && label !== '' ? { account_label: label } : {}) };
}
