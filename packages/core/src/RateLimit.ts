import { retryAfterSeconds } from './mapProviderError.js';
import type { AnyProviderDefinition } from './ProviderDefinition.js';

/** What a provider's rate-limit headers said about one API response. */
export interface RateLimitInfo {
  /** Requests allowed in the window. */
  readonly limit?: number;
  /** Requests left in the window. */
  readonly remaining?: number;
  /** When the window resets. */
  readonly resetAt?: Date;
  /** RFC 9110 §10.2.3 `Retry-After`, seconds, when the response has one. */
  readonly retryAfterSeconds?: number;
}

/**
 * Reads the rate-limit headers a definition declares (`api.rateLimitHeaders`) from an API response,
 * and `Retry-After`.
 * @param definition - the provider's definition (`auth.<id>.definition`)
 * @param nowMs - epoch milliseconds, for relative reset values
 * @returns what the headers say, or `undefined` when the response has none of them
 * @example
 * ```ts
 * const res = await session.fetch('hubspot', '/crm/v3/objects/contacts');
 * const limit = readRateLimit(auth.hubspot.definition, res); // { remaining: 99, … }
 * ```
 */
export function readRateLimit(definition: AnyProviderDefinition, response: Response, nowMs: number = Date.now()): RateLimitInfo | undefined {
  const declared = definition.api?.rateLimitHeaders;
  const number = (name: string | undefined) => {
    const v = name === undefined ? null : response.headers.get(name);
    const n = v === null ? NaN : Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  };
  const limit = number(declared?.limit);
  const remaining = number(declared?.remaining);
  const reset = number(declared?.reset);
  const unit = declared?.resetUnit ?? 'epoch-seconds';
  const resetAtMs = reset === undefined ? undefined : unit === 'seconds' ? nowMs + reset * 1000 : unit === 'epoch-milliseconds' ? reset : reset * 1000;
  const retryAfter = retryAfterSeconds(response.headers, nowMs);
  if (limit === undefined && remaining === undefined && resetAtMs === undefined && retryAfter === undefined) return undefined;
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(resetAtMs !== undefined ? { resetAt: new Date(resetAtMs) } : {}),
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  };
}
