/** Options of {@link ReturnToPolicy}. */
export interface ReturnToOptions {
  /**
   * Where the routes may send the browser afterwards. An entry that starts with `/` is a path on
   * the app's own origin and allows itself and everything below it (`'/settings'` allows
   * `/settings`, `/settings/integrations?tab=2`, not `/settings-old`); `'/'` allows every path. An
   * absolute `https://…` entry allows that origin under that path, for apps whose pages live on
   * another origin than the routes.
   * @default ['/']
   */
  readonly allowed?: readonly string[];
  /** Where to go when the request names no `returnTo` (and after an error without one). @default '/' */
  readonly default?: string;
}

/** A returnTo that passed the allow-list, and the `Location` to send for it. */
export interface AllowedReturnTo {
  /** Parsed and normalized (`/a/../b` is `/b`). */
  readonly url: URL;
  /** A path for the app's own origin (`/settings?tab=2`), the full URL for an allowed other origin. */
  readonly location: string;
}

/** What the base for parsing paths is: any origin works, as path entries never compare it. */
const LOCAL = 'http://authmanager-http.invalid';

interface Entry {
  readonly origin: string;
  readonly path: string;
}

function parseEntry(entry: string): Entry {
  if (entry.startsWith('/') && !entry.startsWith('//') && !entry.includes('\\')) {
    const url = new URL(entry, LOCAL);
    return { origin: LOCAL, path: url.pathname };
  }
  const url = new URL(entry);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`returnTo.allowed: "${entry}" is neither a path nor an http(s) URL`);
  return { origin: url.origin, path: url.pathname };
}

function underPath(pathname: string, prefix: string): boolean {
  if (prefix === '/' || pathname === prefix) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return pathname.startsWith(base);
}

/**
 * The allow-list of places the connect routes redirect to, so that `returnTo` is no open redirect.
 * A value must be a path (`/settings`) or an absolute http(s) URL whose origin and path are on the
 * list. Refused: `//evil.example`, `/\evil.example`, `https://evil.example`, `javascript:…`,
 * `data:…`, anything with a backslash or a control character (browsers drop tabs and newlines,
 * which would turn `/\t/evil` into `//evil`), and paths outside the listed ones.
 *
 * @throws TypeError from the constructor when an entry is neither a path nor an http(s) URL
 * @example
 * ```ts
 * const policy = new ReturnToPolicy({ allowed: ['/settings'], default: '/settings' });
 * policy.check('/settings/integrations')?.location; // '/settings/integrations'
 * policy.check('//evil.example');                   // undefined
 * ```
 */
export class ReturnToPolicy {
  readonly #entries: readonly Entry[];
  /** The default, already checked. */
  readonly default: AllowedReturnTo;

  constructor(options: ReturnToOptions = {}) {
    this.#entries = (options.allowed ?? ['/']).map(parseEntry);
    const fallback = this.check(options.default ?? '/');
    if (!fallback) throw new TypeError(`returnTo.default "${options.default ?? '/'}" is not on returnTo.allowed`);
    this.default = fallback;
  }

  /** A copy that also allows `paths` (the connect page adds its own path). */
  withPaths(paths: readonly string[], options: ReturnToOptions): ReturnToPolicy {
    return new ReturnToPolicy({ ...options, allowed: [...(options.allowed ?? ['/']), ...paths] });
  }

  /**
   * Checks a `returnTo` value.
   * @param value - what the request carried
   * @returns the normalized target, or undefined when it is not allowed
   */
  check(value: string): AllowedReturnTo | undefined {
    if (value.length === 0 || value.length > 2048 || value.includes('\\') || /[\u0000-\u001f\u007f]/.test(value)) return undefined;
    if (value.startsWith('/')) {
      if (value.startsWith('//')) return undefined;
      let url: URL;
      try { url = new URL(value, LOCAL); } catch { return undefined; }
      if (url.origin !== LOCAL) return undefined;
      if (!this.#entries.some((e) => e.origin === LOCAL && underPath(url.pathname, e.path))) return undefined;
      return { url, location: `${url.pathname}${url.search}${url.hash}` };
    }
    let url: URL;
    try { url = new URL(value); } catch { return undefined; }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.username !== '' || url.password !== '') return undefined;
    if (!this.#entries.some((e) => e.origin === url.origin && underPath(url.pathname, e.path))) return undefined;
    return { url, location: url.href };
  }
}
