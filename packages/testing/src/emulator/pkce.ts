import { createHash } from 'node:crypto';
import { safeEqual } from './safeEqual.js';

/** RFC 7636 §4.1: 43–128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * Verifies a PKCE `code_verifier` against the `code_challenge` of the authorization request, method
 * S256: `BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge`.
 * @see RFC 7636 §4.6
 * @returns false when the verifier is absent, malformed (RFC 7636 §4.1) or does not match
 */
export function verifyS256(verifier: string | undefined, challenge: string): boolean {
  if (verifier === undefined || !VERIFIER.test(verifier)) return false;
  return safeEqual(createHash('sha256').update(verifier, 'ascii').digest('base64url'), challenge);
}
