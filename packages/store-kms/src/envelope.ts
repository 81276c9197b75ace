// The record format of KmsEncryptedCredentialStore (internal: not exported from the package).
//
//   amk1.<scope>.<keyId>.<wrappedKey>.<iv>.<tag>.<ciphertext>
//
// Every field after the scope is unpadded base64url; `scope` is `r` (data key wrapped with the
// record's own encryption context) or `s` (a data key shared by the store). The AES-256-GCM
// additional authenticated data is the header (format, scope, key id, wrapped key) followed by
// the record's kind, provider, subject and version, so a ciphertext moved to another record or
// replayed at another version fails to authenticate.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RecordKey } from '@authmanager/core';
import type { EncryptionContext } from './KeyProvider.js';

/** The format id opening every encrypted record. */
export const FORMAT_ID = 'amk1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** How data keys are bound: to one record version (`record`) or shared across the store (`store`). */
export type DataKeyScope = 'record' | 'store';

/** A parsed record header and body. */
export interface Envelope {
  readonly scope: DataKeyScope;
  readonly keyId: string;
  readonly wrappedKey: Buffer;
  /** `wrappedKey` as stored (canonical base64url): used in the AAD and cache ids without re-encoding. */
  readonly wrappedKeyText: string;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

/** `JSON` of the pairs sorted by name: one string per context, whatever the key order. */
export function canonicalContext(context: EncryptionContext): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether `value` looks like an encrypted record (format id present); says nothing of validity. */
export function isEnvelope(value: string): boolean {
  return value.startsWith(`${FORMAT_ID}.`);
}

/** Parses a stored value; `undefined` when it is not a well-formed `amk1` record. */
export function parseEnvelope(value: string): Envelope | undefined {
  const parts = value.split('.');
  if (parts.length !== 7 || parts[0] !== FORMAT_ID) return undefined;
  const [, scopeTag, keyIdText, wrappedText, ivText, tagText, bodyText] = parts as [string, string, string, string, string, string, string];
  const scope: DataKeyScope | undefined = scopeTag === 'r' ? 'record' : scopeTag === 's' ? 'store' : undefined;
  if (scope === undefined) return undefined;
  const keyIdBytes = decodeSegment(keyIdText);
  const wrappedKey = decodeSegment(wrappedText);
  const iv = decodeSegment(ivText);
  const tag = decodeSegment(tagText);
  const ciphertext = decodeSegment(bodyText);
  if (!keyIdBytes || !wrappedKey || !iv || !tag || !ciphertext) return undefined;
  if (keyIdBytes.length === 0 || wrappedKey.length === 0 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
  const keyId = keyIdBytes.toString('utf8');
  if (Buffer.from(keyId, 'utf8').toString('base64url') !== keyIdText) return undefined;
  return { scope, keyId, wrappedKey, wrappedKeyText: wrappedText, iv, tag, ciphertext };
}

/**
 * Encrypts `plaintext` for (`key`, `version`) under `dataKey`.
 * @returns the stored text, `amk1.…`
 */
export function sealRecord(
  dataKey: Buffer, keyId: string, wrappedKey: Buffer, scope: DataKeyScope, key: RecordKey, version: number, plaintext: string,
): string {
  const iv = randomBytes(IV_BYTES);
  const wrappedKeyText = wrappedKey.toString('base64url');
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(recordAad(scope, keyId, wrappedKeyText, key, version));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    FORMAT_ID, scope === 'record' ? 'r' : 's', Buffer.from(keyId, 'utf8').toString('base64url'),
    wrappedKeyText, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

/**
 * Decrypts and authenticates a parsed record for (`key`, `version`).
 * @returns the plaintext, or `undefined` when authentication fails
 */
export function openRecord(dataKey: Buffer, envelope: Envelope, key: RecordKey, version: number): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, envelope.iv);
    decipher.setAAD(recordAad(envelope.scope, envelope.keyId, envelope.wrappedKeyText, key, version));
    decipher.setAuthTag(envelope.tag);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function recordAad(scope: DataKeyScope, keyId: string, wrappedKeyText: string, key: RecordKey, version: number): Buffer {
  return Buffer.from(
    JSON.stringify([FORMAT_ID, scope, keyId, wrappedKeyText, key.kind, key.provider, key.subject, version]),
    'utf8',
  );
}

/** Strict base64url: only the alphabet, and only the canonical encoding of its bytes. */
function decodeSegment(text: string): Buffer | undefined {
  if (!SEGMENT.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
