/**
 * Plays the user's browser and consent screen at an emulator's authorize endpoint: requests the
 * authorization URL without following redirects and returns where it redirects (the callback URL
 * with `code` and `state`, or with `error` when the emulator refused the request, RFC 6749 §4.1.2.1).
 * @param authorizationUrl - from `authorize()`
 * @returns the callback URL, as a string
 * @throws Error with the status and body when the authorize endpoint answers anything but a redirect
 *   (an unknown client or redirect URI is not redirected, RFC 6749 §4.1.2.1)
 */
export async function approve(authorizationUrl: URL | string): Promise<string> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  const text = await res.text();
  if (res.status < 300 || res.status >= 400 || location === null) throw new Error(`authorize answered HTTP ${res.status}: ${text}`);
  return new URL(location, authorizationUrl).href;
}
