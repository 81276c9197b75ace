import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';
import { matchesOriginPattern, type OriginPattern } from './OriginPattern.js';
import type { ConnectionConfig, UrlVariable } from './ProviderDefinition.js';

/** One DNS label (RFC 1035 §2.3.1, with digits first allowed as RFC 1123 §2.1 does). */
export const DNS_LABEL_PATTERN = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

const VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Whether `value` has, in full, the form `variable` allows (its `pattern`, by default one DNS label). */
export function matchesVariablePattern(variable: UrlVariable, value: string): boolean {
  return new RegExp(`^(?:${variable.pattern ?? DNS_LABEL_PATTERN})$`).test(value);
}

/** The `{name}` variables of a URL template, in order of first appearance. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(VARIABLE)].map((m) => m[1]!))];
}

/**
 * The origin pattern a template's filled URLs must match: a leading `{name}.` label of the host
 * becomes `*.` (`https://{subdomain}.zendesk.com/…` → `https://*.zendesk.com`); a template whose
 * host has no variable gives its own origin. `undefined` when a variable is elsewhere in the host
 * (`https://{domain}/…`): then only declared hosts can bound it.
 */
export function templateOriginPattern(template: string): OriginPattern | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(template);
  if (!m) return undefined;
  const host = m[2]!;
  if (!host.includes('{')) return `${m[1]}${host}`;
  const wildcard = /^\{[A-Za-z_][A-Za-z0-9_]*\}\.([^{}]+)$/.exec(host);
  return wildcard ? `${m[1]}*.${wildcard[1]}` : undefined;
}

/**
 * Fills a per-tenant URL template such as `https://{subdomain}.zendesk.com/oauth/tokens`. Each value
 * must match its variable's pattern in full (by default one DNS label, so no `.`, `/`, `@`, `:` or
 * `%`), and the filled URL's origin must match `hosts` when given, else the pattern the template's
 * own host gives ({@link templateOriginPattern}). This is what keeps a tenant value from sending a
 * client secret or token to another host (the class of Nango's two SSRF advisories on interpolated
 * token URLs).
 *
 * `{client_id}` is not a variable here; callers fill it themselves.
 * @param provider - for error messages
 * @param template - the URL, with `{name}` variables
 * @param values - variable values (app credentials and connection config merged)
 * @param variables - the declarations, for patterns
 * @param hosts - the origins filled URLs may have
 * @returns the filled URL, as a string
 * @throws AuthManagerError `CONFIGURATION` naming the variable (never its value) when one is
 *   missing, undeclared, or does not match; or when the filled URL is not one or leaves the hosts
 */
export function fillUrlTemplate(
  provider: string, template: string, values: Readonly<Record<string, unknown>>,
  variables: Readonly<Record<string, UrlVariable>> = {}, hosts?: readonly OriginPattern[],
): string {
  const names = templateVariables(template);
  if (names.length === 0) return template;
  const own = templateOriginPattern(template);
  const allowed = hosts ?? (own ? [own] : undefined);
  if (allowed === undefined) {
    // A value from the connection (the end user, in the end) must never choose an unbounded host.
    const host = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(template)?.[1] ?? '';
    const unbounded = templateVariables(host).find((name) => variables[name]?.from === 'connection');
    if (unbounded !== undefined) throw configuration(provider, `{${unbounded}} comes from the connection and sits in the URL's host, so the provider must declare the hosts it may name`);
  }
  const filled = template.replace(VARIABLE, (_, name: string) => {
    const declared = variables[name];
    if (!declared) throw configuration(provider, `the URL template uses {${name}}, which the provider does not declare`);
    const value = values[name];
    if (typeof value !== 'string' || value === '') {
      throw configuration(provider, `"${name}" is required (${declared.from === 'connection' ? 'pass it in authorize({ connectionConfig })' : 'set it in the app credentials'})`);
    }
    if (!matchesVariablePattern(declared, value)) {
      throw configuration(provider, `"${name}" does not have the form the provider's URLs allow`);
    }
    return value;
  });
  let url: URL;
  try { url = new URL(filled); } catch { throw configuration(provider, 'the filled URL template is not a URL'); }
  if (allowed !== undefined && !matchesOriginPattern(url, allowed)) {
    throw configuration(provider, `the filled URL's host is not among the provider's declared hosts`);
  }
  return url.href;
}

function configuration(provider: string, what: string): AuthManagerError {
  return new AuthManagerError(ErrorCode.CONFIGURATION, `${provider}: ${what}`, { provider });
}

/** The connection config kept with a credential (`extras.connection_config`). */
export function connectionConfigOf(extras: object): ConnectionConfig {
  const c = (extras as { connection_config?: unknown }).connection_config;
  if (typeof c !== 'object' || c === null) return {};
  return Object.fromEntries(Object.entries(c).filter(([, v]) => typeof v === 'string')) as ConnectionConfig;
}

