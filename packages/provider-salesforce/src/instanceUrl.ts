import { AuthManagerError, ErrorCode, z, type OriginPattern } from '@authmanager/core/provider';

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
  const wildcard = /^https:\/\/\*\.(.+)$/i.exec(pattern);
  const candidate = wildcard ? `https://${wildcard[1]}` : pattern;
  if (!URL.canParse(candidate)) return false;
  const url = new URL(candidate);
  return url.href === `${url.origin}/` && isSecureUrl(url.href);
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
  readonly allowedInstanceOrigins: readonly OriginPattern[];
  readonly instanceUrl?: string | undefined;
}

/**
 * Where an org's `instance_url` (the destination of its access token) may point: on
 * {@link SALESFORCE_INSTANCE_ORIGIN_PATTERNS}, on an `allowedInstanceOrigins` pattern, or on the
 * origin of the configured `instanceUrl`. Core checks it when a token response arrives
 * (`INVALID_TOKEN_RESPONSE`) and before every call (`INVALID_STORED_CREDENTIALS`).
 */
export function instanceOrigins(app: InstanceOriginApp): OriginPattern[] {
  return [...SALESFORCE_INSTANCE_ORIGIN_PATTERNS, ...app.allowedInstanceOrigins, ...(app.instanceUrl ? [new URL(app.instanceUrl).origin] : [])];
}

/**
 * The configured instance, for a credential without `instance_url`.
 * @throws AuthManagerError `CONFIGURATION` when `instanceUrl` is not set
 */
export function configuredInstanceUrl(app: InstanceOriginApp): string {
  if (app.instanceUrl) return app.instanceUrl;
  throw new AuthManagerError(ErrorCode.CONFIGURATION, 'salesforce: the credential has no instance_url; pass instanceUrl or set SALESFORCE_INSTANCE_URL', { provider: 'salesforce' });
}
