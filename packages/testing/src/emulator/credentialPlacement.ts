import type { IncomingMessage } from 'node:http';
import type { CredentialPlacement } from '@authmanager/core';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The credential an API request carries where the definition's `api.credentialPlacement` says:
 * a header in its declared `format` (base64-decoded when declared), a query parameter, or by
 * default `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive).
 * @returns undefined when the request carries none there
 */
export function presentedCredential(placement: CredentialPlacement | undefined, req: IncomingMessage, url: URL): string | undefined {
  if (placement?.in === 'query') return url.searchParams.get(placement.name) ?? undefined;
  const name = placement?.name ?? 'authorization';
  const value = req.headers[name.toLowerCase()];
  if (typeof value !== 'string') return undefined;
  const format = placement ? placement.format ?? '{token}' : 'Bearer {token}';
  const pattern = escape(format).replace(/\\\{token\\\}/g, '(.+)').replace(/\\\{token_type\\\}/g, '\\S+').replace(/^Bearer|^Basic/, (s) => `(?:${s}|${s.toLowerCase()}|${s.toUpperCase()})`);
  const token = new RegExp(`^${pattern}$`).exec(value)?.[1];
  return token !== undefined && placement?.in === 'header' && placement.base64 ? Buffer.from(token, 'base64').toString('utf8') : token;
}
