/** Cookies of a request by name (the first of a repeated name; a malformed value counts as absent). */
export function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // a malformed value is treated as absent
    }
  }
  return cookies;
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, on `path`, Secure when the site is https. */
export function serializeCookie(name: string, value: string, options: { readonly path: string; readonly secure: boolean; readonly maxAgeSeconds: number }): string {
  return `${name}=${encodeURIComponent(value)}; Path=${options.path}; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}; Max-Age=${options.maxAgeSeconds}`;
}
