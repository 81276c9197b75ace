import type { ServerResponse } from 'node:http';
import type { TokenErrorSpec, TokenResponseField, TokenResponseSpec } from '@authmanager/core';
import { objectWithPaths } from './dottedPath.js';
import { sendJson } from './loopbackServer.js';

/**
 * A token response laid out as the definition declares: each RFC 6749 §5.1 field at its declared
 * dotted path (`tokenResponse.paths`), the refresh-token lifetime under the declared field, and
 * fields listed in `nullMeansAbsent` sent as `null` when there is no value.
 * @param fields - the RFC fields; undefined ones are left out (or `null`)
 * @param extra - further members, already placed (identity fields, the API base URL)
 */
export function shapeTokenResponse(
  fields: Readonly<Partial<Record<TokenResponseField, unknown>>>, spec: TokenResponseSpec | undefined, extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const pathOf = (field: TokenResponseField) =>
    (field === 'refresh_token_expires_in' ? spec?.refreshTokenExpiresInField : undefined) ?? spec?.paths?.[field] ?? field;
  const entries = Object.entries(fields).map(([field, value]) => {
    const f = field as TokenResponseField;
    if (value !== undefined) return [pathOf(f), value] as const;
    return [spec?.nullMeansAbsent?.includes(f) ? pathOf(f) : undefined, null] as const;
  });
  return objectWithPaths(entries, extra);
}

/**
 * The provider's own code for an RFC 6749 §5.2 error: among `aliases` mapping to `error`, one whose
 * name mentions `about` (`refresh` → `bad_refresh_token`, `code` → `bad_verification_code`), else
 * the first; else `error` itself.
 */
export function providerErrorCode(error: string, spec: TokenErrorSpec | undefined, about?: 'refresh' | 'code'): string {
  const own = Object.entries(spec?.aliases ?? {}).filter(([, rfc]) => rfc === error).map(([code]) => code);
  return own.find((code) => about !== undefined && code.includes(about)) ?? own[0] ?? error;
}

/**
 * Answers a token-endpoint error: `{ error, error_description }` with `status` (RFC 6749 §5.2), or
 * with HTTP 200 when the definition says errors are `sentWithHttp200`; `error` is the provider's
 * alias when one is declared ({@link providerErrorCode}).
 */
export function sendTokenError(
  res: ServerResponse, spec: TokenErrorSpec | undefined, status: number, error: string, description: string, about?: 'refresh' | 'code',
): void {
  sendJson(res, spec?.sentWithHttp200 ? 200 : status, { error: providerErrorCode(error, spec, about), error_description: description },
    status === 401 && !spec?.sentWithHttp200 ? { 'www-authenticate': 'Basic realm="emulator"' } : {});
}
