import {
  AuthManagerError, ErrorCode, matchesOriginPattern, z,
  type Credentials, type OriginPattern,
} from '@authmanager/core/provider';
import type { SalesforceUserCredentialExtras } from './extras.js';

/**
 * Where Salesforce documents an org's instance, the origin of `instance_url` (and so the host the
 * access token is sent to on every API call). One pattern, `https://*.salesforce.com`, covers every
 * documented form:
 *
 * - My Domain login and API hosts: `https://MyDomainName.my.salesforce.com` (production),
 *   `https://MyDomainName--SandboxName.sandbox.my.salesforce.com` (sandbox), and the partitioned
 *   `https://MyDomainName.develop.my.salesforce.com` (Developer Edition; also `demo`, `free`,
 *   `patch`, `scratch`, `trailblaze`);
 * - instanced URLs `https://InstanceName.salesforce.com` (e.g. `https://usa77.salesforce.com`),
 *   through which the API stays reachable unless the org requires its My Domain;
 * - the generic login hosts `https://login.salesforce.com` and `https://test.salesforce.com`.
 *
 * Deliberately not included: `*.force.com`, `*.site.com` and `*.salesforce-sites.com` serve
 * Lightning, Visualforce and Experience Cloud / Salesforce Sites pages (content that any Salesforce
 * customer authors), not the API; Salesforce documents no `instance_url` on them. Nor the
 * Government Cloud Plus (`.mil`) or Alibaba Cloud (`.cn`) suffixes: the Salesforce documentation
 * found while writing this does not name them, so an org there lists its origin in
 * `allowedInstanceOrigins`.
 *
 * The check confines the token to Salesforce's servers, not to one org: another org's My Domain
 * also matches. Salesforce refuses a session id on an org it was not issued for (the REST API
 * answers 401 `INVALID_SESSION_ID`), but its docs do not say whether a public (guest) endpoint of
 * another org can read the `Authorization` header; the signature check on every token response is
 * what ties `instance_url` to the connected app.
 *
 * @see https://help.salesforce.com/s/articleView?id=xcloud.domain_name_login_code.htm (My Domain login URL formats)
 * @see https://help.salesforce.com/s/articleView?id=xcloud.domain_name_move.htm (sandbox `--SandboxName.sandbox.my.salesforce.com`)
 * @see https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_mydomainsettings.htm (partitions; `https://InstanceName.salesforce.com` API access)
 * @see https://help.salesforce.com/s/articleView?id=xcloud.domain_name_setting_login_policy.htm (instanced URLs such as `https://usa77.salesforce.com`)
 */
export const SALESFORCE_INSTANCE_ORIGIN_PATTERNS: readonly OriginPattern[] = ['https://*.salesforce.com'];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http on an exact loopback host (an emulator): the access token is sent to these hosts. */
export function isSecureUrl(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

/**
 * One `allowedInstanceOrigins` entry: an origin pattern (`https://host[:port]` or
 * `https://*.suffix`), https only; `http://` only for an exact loopback host (127.0.0.1, localhost,
 * [::1]), which is how emulator tests opt in. Nothing after the origin (path, query, userinfo).
 */
function isAllowablePattern(pattern: string): boolean {
  const wildcard = /^([a-z][a-z0-9+.-]*:\/\/)\*\.(.+)$/i.exec(pattern);
  let url: URL;
  try { url = new URL(wildcard ? `${wildcard[1]}${wildcard[2]}` : pattern); } catch { return false; }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return false;
  if (url.pathname !== '/') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && !wildcard && LOOPBACK.has(url.hostname);
}

/**
 * Schema of the `allowedInstanceOrigins` app credential: a list, or a space/comma-separated string
 * (as in `SALESFORCE_ALLOWED_INSTANCE_ORIGINS`), of origin patterns.
 */
export const allowedInstanceOriginsSchema = z.union([z.string(), z.array(z.string()).readonly()])
  .transform((v) => (typeof v === 'string' ? v.split(/[\s,]+/) : v).map((p) => p.trim().replace(/\/+$/, '')).filter(Boolean))
  .refine((patterns) => patterns.every(isAllowablePattern), {
    message: 'must be https origins or https://*.suffix patterns (http only on 127.0.0.1 / localhost / [::1]), nothing after the host and port',
  });

/** The app credentials the instance check reads. */
export interface InstanceOriginApp {
  /** Extra origin patterns an `instance_url` may match. */
  readonly allowedInstanceOrigins: readonly OriginPattern[];
  /** The configured instance (static-token mode): configuring it allows its origin. */
  readonly instanceUrl?: string | undefined;
}

/**
 * Whether `url` may be an org's instance, the destination of its access token: on
 * {@link SALESFORCE_INSTANCE_ORIGIN_PATTERNS}, on an `allowedInstanceOrigins` pattern, or on the
 * origin of the configured `instanceUrl`. A URL with userinfo never is.
 */
export function isAllowedInstanceUrl(url: string, app: InstanceOriginApp): boolean {
  const patterns = [
    ...SALESFORCE_INSTANCE_ORIGIN_PATTERNS,
    ...app.allowedInstanceOrigins,
    ...(app.instanceUrl ? [new URL(app.instanceUrl).origin] : []),
  ];
  return matchesOriginPattern(url, patterns);
}

/** The host of a URL for an error message (no userinfo, path or query), or `undefined`. */
export function hostOf(url: unknown): string | undefined {
  return typeof url === 'string' && URL.canParse(url) ? new URL(url).host : undefined;
}

/**
 * The instance a credential's API calls go to: its `instance_url`, else the configured one, checked
 * against the allowed origins every time (a record may have been stored before this check, or
 * altered in the store), so the token is never sent anywhere else.
 * @throws AuthManagerError `INVALID_STORED_CREDENTIALS` when the credential's `instance_url` is not
 *   on an allowed origin (the record is unusable: connect the subject again); `CONFIGURATION` when
 *   there is neither an `instance_url` nor a configured `instanceUrl`
 */
export function instanceUrlOf(credentials: Credentials<SalesforceUserCredentialExtras>, app: InstanceOriginApp): string {
  const stored: unknown = credentials.extras.instance_url;
  if (stored !== undefined) {
    if (typeof stored !== 'string' || !isAllowedInstanceUrl(stored, app)) {
      const host = hostOf(stored);
      throw new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS,
        `salesforce: the credential's instance_url${host ? ` (${host})` : ''} is not on a Salesforce domain or an allowedInstanceOrigins entry; the access token is not sent there. Connect the subject again`,
        { provider: 'salesforce' });
    }
    return stored.replace(/\/+$/, '');
  }
  if (!app.instanceUrl) {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, 'salesforce: the credential has no instance_url; pass instanceUrl or set SALESFORCE_INSTANCE_URL', { provider: 'salesforce' });
  }
  return app.instanceUrl.replace(/\/+$/, '');
}
