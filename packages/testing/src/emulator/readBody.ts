import type { IncomingMessage } from 'node:http';

/** A request body as the emulator read it. */
export interface RequestBody {
  /** The bytes received, as UTF-8 (`''` when none). */
  readonly raw: string;
  /**
   * What the body is, from `Content-Type` and a successful parse: `form`
   * (`application/x-www-form-urlencoded`, RFC 6749 Appendix B), `json` (an object), `none` (empty),
   * or `other` (anything else, including JSON that does not parse or is not an object).
   */
  readonly format: 'form' | 'json' | 'none' | 'other';
  /** The parameters: form fields, or a JSON object's string (and number/boolean, stringified) members. */
  readonly params: Readonly<Record<string, string>>;
}

/** Thrown by {@link readBody} when the body is larger than allowed; answer `413`. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) { super(`request body larger than ${maxBytes} bytes`); }
}

/** @default 64 KiB: OAuth requests are a few hundred bytes. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a request body up to `maxBytes` and parses it by its `Content-Type`.
 * @param req - the incoming request
 * @param maxBytes - the cap, bytes
 * @throws BodyTooLargeError when more than `maxBytes` arrive (the rest is drained, not kept)
 */
export async function readBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length; // past the cap the rest is drained, not kept, so the 413 reaches the client
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (size > maxBytes) throw new BodyTooLargeError(maxBytes);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw === '') return { raw, format: 'none', params: {} };
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return { raw, format: 'form', params: Object.fromEntries(new URLSearchParams(raw)) };
  if (type === 'application/json' || type.endsWith('+json')) {
    let value: unknown;
    try { value = JSON.parse(raw); } catch { return { raw, format: 'other', params: {} }; }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { raw, format: 'other', params: {} };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) if (['string', 'number', 'boolean'].includes(typeof v)) params[k] = String(v);
    return { raw, format: 'json', params };
  }
  return { raw, format: 'other', params: {} };
}
