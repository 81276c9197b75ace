/**
 * Origin patterns: which origins a URL that a provider hands us (a token response's API base URL,
 * such as Salesforce `instance_url`) may name before it receives a bearer token.
 *
 * A pattern is `scheme://host[:port]` where the host is either exact (`login.salesforce.com`) or a
 * `*.` wildcard matching one or more labels below a suffix (`*.my.salesforce.com` matches
 * `acme.my.salesforce.com` and `a.b.my.salesforce.com`, not `my.salesforce.com`). Without a port the
 * scheme's default port is meant. Hosts compare after WHATWG URL parsing (lower-cased, IDN as
 * punycode), so `HTTPS://ACME.my.Salesforce.com` matches `https://*.my.salesforce.com`.
 */
export type OriginPattern = string;

/**
 * True when `url`'s origin matches one of `patterns` (see {@link OriginPattern}). A URL with
 * userinfo (`https://a@b`) never matches.
 * @param url - the URL to check (a string is parsed; an unparseable one never matches)
 * @param patterns - origin patterns
 */
export function matchesOriginPattern(url: URL | string, patterns: readonly OriginPattern[]): boolean {
  let u: URL;
  try { u = typeof url === 'string' ? new URL(url) : url; } catch { return false; }
  if (u.username !== '' || u.password !== '') return false;
  for (const pattern of patterns) {
    const wildcard = /^([a-z][a-z0-9+.-]*:\/\/)\*\.(.+)$/i.exec(pattern);
    let p: URL;
    try { p = new URL(wildcard ? `${wildcard[1]}${wildcard[2]}` : pattern); } catch { continue; }
    if (p.protocol !== u.protocol || p.port !== u.port) continue;
    if (wildcard ? u.hostname.endsWith(`.${p.hostname}`) : u.hostname === p.hostname) return true;
  }
  return false;
}
