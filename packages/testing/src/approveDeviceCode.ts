/**
 * Approves a device authorization (RFC 8628) the way a person would at the verification page,
 * without a browser: opens `verification_uri_complete`, submits the code and its confirmation
 * (oidc-provider's forms, with their anti-forgery field), then follows the sign-in the sandbox
 * approves without a page (`interactive: false`), until the success page.
 *
 * @param verificationUriComplete - from the device authorization response (the prompt)
 * @param options.maxSteps - give up after this many requests. @default 20
 * @throws Error when a page is neither a form to submit, a redirect nor the success page
 */
export async function approveDeviceCode(verificationUriComplete: string | URL, options: { maxSteps?: number } = {}): Promise<void> {
  const cookies = new Map<string, string>();
  const headersFor = (form: boolean): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    return headers;
  };
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };
  let request: { url: URL; body?: URLSearchParams } = { url: new URL(verificationUriComplete) };
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    const response = await fetch(request.url, {
      method: request.body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: headersFor(request.body !== undefined),
      ...(request.body ? { body: request.body } : {}),
    });
    remember(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      request = { url: new URL(location, request.url) };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`approveDeviceCode: ${request.url.pathname} answered HTTP ${response.status}`);
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (form === null) return; // the success page
    const fields = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
      const name = /name="([^"]+)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1];
      if (name !== undefined) fields.set(name, decodeEntities(value ?? ''));
    }
    request = { url: new URL(decodeEntities(form[1]!), request.url), body: fields };
  }
  throw new Error('approveDeviceCode: too many steps');
}

function decodeEntities(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
