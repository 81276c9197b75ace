// The record format of KmsEncryptedCredentialStore (internal: not exported from the package).
//
//   amk2.<scope>.<keyId>.<generation>.<wrappedKey>.<iv>.<tag>.<ciphertext>   (written)
//   amk1.<scope>.<keyId>.<wrappedKey>.<iv>.<tag>.<ciphertext>                (read only: before generations)
//
// Every field after the scope is unpadded base64url; `scope` is `r` (data key wrapped with the
// record's own encryption context) or `s` (a data key shared by the store). `generation` is 16
// random bytes drawn when the record is created and kept by every update, so it names one
// lifetime of the record (creation to deletion). The AES-256-GCM additional authenticated data is
// the header (format, scope, key id, generation, wrapped key) followed by the record's kind,
// provider, subject and version, so a ciphertext moved to another record, replayed at another
// version, or given another generation fails to authenticate. An amk1 record has no generation:
// its AAD is the same list without it.
//
// A generation inside the record proves nothing on its own: a replayed record brings its own.
// It is what lets a reader that remembers the record's newer lifetime recognise an older one
// (see LifetimeTracker.ts).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RecordKey } from '@authmanager/core';
import type { EncryptionContext } from './KeyProvider.js';

/** The format id of records written now. */
export const FORMAT_ID = 'amk2';
/** The format id of records written before generations existed (still read). */
export const LEGACY_FORMAT_ID = 'amk1';
/** Random bytes in a generation id. */
export const GENERATION_BYTES = 16;
const IV_BYTES = 12;
/** Unpadded base64url lengths of the fixed-size fields (12-byte IV, 16-byte tag and generation). */
const IV_TEXT_LENGTH = 16;
const TAG_TEXT_LENGTH = 22;
const GENERATION_TEXT_LENGTH = 22;
const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** How data keys are bound: to one record version (`record`) or shared across the store (`store`). */
export type DataKeyScope = 'record' | 'store';

/** A parsed record header and body. */
export interface Envelope {
  readonly format: typeof FORMAT_ID | typeof LEGACY_FORMAT_ID;
  readonly scope: DataKeyScope;
  readonly keyId: string;
  /** The record's lifetime id (base64url of {@link GENERATION_BYTES} bytes); `undefined` in an amk1 record. */
  readonly generation: string | undefined;
  readonly wrappedKey: Buffer;
  /** `wrappedKey` as stored (canonical base64url): used in the AAD and cache ids without re-encoding. */
  readonly wrappedKeyText: string;
  readonly iv: Buffer;
  readonly tag: Buffer;
  /** The ciphertext as stored (canonical base64url); the decipher decodes it. */
  readonly ciphertextText: string;
}

/** `JSON` of the pairs sorted by name: one string per context, whatever the key order. */
export function canonicalContext(context: EncryptionContext): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A fresh generation id: {@link GENERATION_BYTES} random bytes in base64url. */
export function newGeneration(): string {
  return randomBytes(GENERATION_BYTES).toString('base64url');
}

/** Parses a stored value; `undefined` when it is not a well-formed amk2 or amk1 record. */
export function parseEnvelope(value: string): Envelope | undefined {
  const parts = value.split('.');
  let format: Envelope['format'];
  let generation: string | undefined;
  let rest: string[];
  if (parts.length === 8 && parts[0] === FORMAT_ID) {
    format = FORMAT_ID;
    generation = parts[3]!;
    if (generation.length !== GENERATION_TEXT_LENGTH || !isCanonicalBase64url(generation)) return undefined;
    rest = [parts[1]!, parts[2]!, ...parts.slice(4)];
  } else if (parts.length === 7 && parts[0] === LEGACY_FORMAT_ID) {
    format = LEGACY_FORMAT_ID;
    generation = undefined;
    rest = parts.slice(1);
  } else {
    return undefined;
  }
  const [scopeTag, keyIdText, wrappedText, ivText, tagText, bodyText] = rest as [string, string, string, string, string, string];
  const scope: DataKeyScope | undefined = scopeTag === 'r' ? 'record' : scopeTag === 's' ? 'store' : undefined;
  if (scope === undefined) return undefined;
  // Lengths and alphabets are checked on the text; only the IV and tag are decoded here (the
  // wrapped key is decoded when it must be unwrapped, the body by the decipher).
  if (keyIdText.length === 0 || wrappedText.length === 0 || ivText.length !== IV_TEXT_LENGTH || tagText.length !== TAG_TEXT_LENGTH) return undefined;
  if (!isCanonicalBase64url(wrappedText) || !isCanonicalBase64url(ivText) || !isCanonicalBase64url(tagText) || !isCanonicalBase64url(bodyText)) return undefined;
  const keyId = decodeKeyId(keyIdText);
  if (keyId === undefined) return undefined;
  let wrappedKey: Buffer | undefined;
  return {
    format, scope, keyId, generation, wrappedKeyText: wrappedText, ciphertextText: bodyText,
    iv: Buffer.from(ivText, 'base64url'), tag: Buffer.from(tagText, 'base64url'),
    get wrappedKey(): Buffer {
      return (wrappedKey ??= Buffer.from(wrappedText, 'base64url'));
    },
  };
}

/** Key ids seen in headers (a store uses a handful), so a read does not decode and check one again. */
const keyIds = new Map<string, string>();
const KEY_ID_MEMO_LIMIT = 64;

/** The key id of a header's key-id segment, `undefined` when it is not canonical base64url of well-formed UTF-8. */
function decodeKeyId(text: string): string | undefined {
  const known = keyIds.get(text);
  if (known !== undefined) return known;
  if (!isCanonicalBase64url(text)) return undefined;
  const keyId = Buffer.from(text, 'base64url').toString('utf8');
  if (Buffer.from(keyId, 'utf8').toString('base64url') !== text) return undefined;
  if (keyIds.size >= KEY_ID_MEMO_LIMIT) keyIds.clear();
  keyIds.set(text, keyId);
  return keyId;
}

/** What {@link sealRecord} encrypts under. */
export interface SealParams {
  readonly dataKey: Buffer;
  readonly keyId: string;
  readonly wrappedKey: Buffer;
  readonly scope: DataKeyScope;
  readonly generation: string;
}

/**
 * Encrypts `plaintext` for (`key`, `generation`, `version`) under `params.dataKey`.
 * @returns the stored text, `amk2.…`
 */
export function sealRecord(params: SealParams, key: RecordKey, version: number, plaintext: string): string {
  const { dataKey, keyId, wrappedKey, scope, generation } = params;
  const iv = randomBytes(IV_BYTES);
  const wrappedKeyText = wrappedKey.toString('base64url');
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(recordAad(FORMAT_ID, scope, keyId, generation, wrappedKeyText, key, version));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    FORMAT_ID, scope === 'record' ? 'r' : 's', Buffer.from(keyId, 'utf8').toString('base64url'), generation,
    wrappedKeyText, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

/**
 * Decrypts and authenticates a parsed record (either format) for (`key`, `version`).
 * @returns the plaintext, or `undefined` when authentication fails
 */
export function openRecord(dataKey: Buffer, envelope: Envelope, key: RecordKey, version: number): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, envelope.iv);
    decipher.setAAD(recordAad(envelope.format, envelope.scope, envelope.keyId, envelope.generation, envelope.wrappedKeyText, key, version));
    decipher.setAuthTag(envelope.tag);
    return decipher.update(envelope.ciphertextText, 'base64url', 'utf8') + decipher.final('utf8');
  } catch {
    return undefined;
  }
}

function recordAad(
  format: Envelope['format'], scope: DataKeyScope, keyId: string, generation: string | undefined, wrappedKeyText: string,
  key: RecordKey, version: number,
): Buffer {
  const header = format === FORMAT_ID
    ? [FORMAT_ID, scope, keyId, generation ?? '', wrappedKeyText]
    : [LEGACY_FORMAT_ID, scope, keyId, wrappedKeyText];
  return Buffer.from(JSON.stringify([...header, key.kind, key.provider, key.subject, version]), 'utf8');
}

/**
 * Whether `text` is unpadded base64url as `Buffer#toString('base64url')` writes it: only the
 * alphabet, a length that is not 1 modulo 4, and zero bits in the unused low bits of the last
 * character. Checked without decoding and encoding again (the read hot path).
 */
function isCanonicalBase64url(text: string): boolean {
  if (!SEGMENT.test(text)) return false;
  const rest = text.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = base64urlValue(text.charCodeAt(text.length - 1));
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

function base64urlValue(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  return code === 45 ? 62 : 63; // '-' or '_'
}
