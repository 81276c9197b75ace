import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** Web `Headers` from Node's (repeated headers appended one by one). */
export function webHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

/**
 * A body a framework's parser already read, written back in its media type: URL-encoded fields
 * (an array value becomes a repeated field, as it arrived), JSON, or raw bytes.
 */
export function serializeParsedBody(body: unknown, contentType: string | undefined): BodyInit | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body as BodyInit;
  if (/^application\/x-www-form-urlencoded/i.test(contentType ?? '') && typeof body === 'object') {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? v : [v]) params.append(k, typeof item === 'string' ? item : JSON.stringify(item));
    }
    return params.toString();
  }
  return JSON.stringify(body);
}

/**
 * A Web `Request` for a Node request: `url` absolute, the body streamed from `req` unless
 * `body` says it was already read.
 */
export function toWebRequest(req: IncomingMessage, url: string, body?: { readonly parsed: unknown }): Request {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = webHeaders(req.headers);
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  if (body !== undefined) {
    const init = serializeParsedBody(body.parsed, req.headers['content-type']);
    headers.delete('content-length');
    return new Request(url, { method, headers, ...(init !== undefined ? { body: init } : {}) });
  }
  return new Request(url, { method, headers, body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } as RequestInit);
}

/** Writes a Web `Response` to a Node response (every `Set-Cookie` kept apart). */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const bytes = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  res.end(bytes);
}
