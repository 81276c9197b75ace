import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InjectedFailure } from './RequestLog.js';

/** A request's headers as one string each (names lowercased; repeated headers joined with `, `), for the request log. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Answers with an injected failure (`failNext`): its status, headers, and body (an object as JSON). */
export function sendFailure(res: ServerResponse, failure: InjectedFailure): void {
  const json = failure.body !== undefined && typeof failure.body !== 'string';
  res.writeHead(failure.status, { ...(json ? { 'content-type': 'application/json' } : {}), ...failure.headers });
  res.end(failure.body === undefined ? undefined : json ? JSON.stringify(failure.body) : String(failure.body));
}
