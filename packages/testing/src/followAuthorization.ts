/**
 * Follows an authorization URL the way a browser would — redirects, cookies — against an
 * authorization server that approves without a page (the sandbox with `interactive: false`, or a
 * provider emulator), and returns the callback URL it redirects to.
 *
 * @param authorizationUrl - from `flow.authorize()`
 * @param redirectUri - the redirect URI the flow used; following stops when a redirect points there
 * @param options.maxRedirects - give up after this many hops. @default 10
 * @returns the full callback URL (with `code` and `state`, or `error`)
 * @throws Error when a response is neither a redirect nor the callback (e.g. a login page)
 */
export async function followAuthorization(
  authorizationUrl: URL | string, redirectUri: string, options: { maxRedirects?: number } = {},
): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < (options.maxRedirects ?? 10); hop++) {
    if (url.href.startsWith(redirectUri)) return url;
    const response = await fetch(url, {
      redirect: 'manual',
      headers: cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {},
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`followAuthorization: ${url.origin}${url.pathname} answered HTTP ${response.status} instead of a redirect`);
    }
    url = new URL(location, url);
  }
  throw new Error('followAuthorization: too many redirects');
}
