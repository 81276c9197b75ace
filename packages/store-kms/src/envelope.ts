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

/**
 * What every record sealed under one data key repeats, encoded once per key (when it is generated
 * or unwrapped, then kept with it in the cache): the key id as it appears in the header, and the
 * key id and wrapped key as they appear in the AAD.
 */
export interface KeyHeader {
  readonly keyId: string;
  /** The wrapped data key in canonical base64url, as stored in each header. */
  readonly wrappedKeyText: string;
  /** `keyId` as stored in a header: base64url of its UTF-8. */
  readonly keyIdText: string;
  /** UTF-8 of `JSON.stringify(keyId) + ','` (the AAD's third item). */
  readonly keyIdAad: Buffer;
  /** UTF-8 of `JSON.stringify(wrappedKeyText) + ','`. */
  readonly wrappedKeyAad: Buffer;
}

/** The {@link KeyHeader} of a data key; `wrappedKeyText` must be canonical base64url (as `Buffer#toString('base64url')` writes it). */
export function keyHeader(keyId: string, wrappedKeyText: string): KeyHeader {
  return {
    keyId, wrappedKeyText, keyIdText: Buffer.from(keyId, 'utf8').toString('base64url'),
    keyIdAad: Buffer.from(`${JSON.stringify(keyId)},`, 'utf8'), wrappedKeyAad: Buffer.from(`${JSON.stringify(wrappedKeyText)},`, 'utf8'),
  };
}

/** A parsed record header and body. Only the fields a read with a cached data key needs are decoded. */
export interface Envelope {
  readonly format: typeof FORMAT_ID | typeof LEGACY_FORMAT_ID;
  readonly scope: DataKeyScope;
  readonly keyId: string;
  /** The record's lifetime id (base64url of {@link GENERATION_BYTES} bytes); `undefined` in an amk1 record. */
  readonly generation: string | undefined;
  /**
   * The wrapped key as stored, not yet checked: a cached key is found by it (only canonical texts
   * are ever cached), and {@link decodeWrappedKey} checks it before it is unwrapped.
   */
  readonly wrappedKeyText: string;
  readonly iv: Buffer;
  readonly tag: Buffer;
  /** The ciphertext as stored (canonical base64url). */
  readonly ciphertextText: string;
}

/** `JSON` of the pairs sorted by name: one string per context, whatever the key order. */
export function canonicalContext(context: EncryptionContext): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A fresh generation id: {@link GENERATION_BYTES} random bytes in base64url. */
export function newGeneration(): string {
  return randomSlice(GENERATION_BYTES).toString('base64url');
}

/**
 * Random bytes for IVs and generations, drawn from the CSPRNG a page at a time: one
 * `randomBytes` call costs several microseconds whatever its size, more than the AES-GCM of a
 * record. Each slice is handed out once; a used-up page is replaced, never refilled, so a slice
 * never changes under its holder. IVs and generations are public values (stored in the clear).
 */
const RANDOM_PAGE_BYTES = 4096;
let randomPage = Buffer.alloc(0);
let randomOffset = 0;

function randomSlice(length: number): Buffer {
  if (randomOffset + length > randomPage.length) {
    randomPage = randomBytes(RANDOM_PAGE_BYTES);
    randomOffset = 0;
  }
  const slice = randomPage.subarray(randomOffset, randomOffset + length);
  randomOffset += length;
  return slice;
}

/**
 * Parses a stored value; `undefined` when it is not a well-formed amk2 or amk1 record. Fields are
 * found with `indexOf` and checked on the text (lengths, alphabet, canonical last character); only
 * the IV and tag are decoded. The wrapped key is checked by {@link decodeWrappedKey} when it must
 * be unwrapped, the ciphertext's alphabet here (the decipher decodes it).
 */
export function parseEnvelope(value: string): Envelope | undefined {
  let format: Envelope['format'];
  if (value.startsWith('amk2.')) format = FORMAT_ID;
  else if (value.startsWith('amk1.')) format = LEGACY_FORMAT_ID;
  else return undefined;
  const scopeTag = value.charCodeAt(5);
  const scope: DataKeyScope | undefined = scopeTag === 0x72 /* r */ ? 'record' : scopeTag === 0x73 /* s */ ? 'store' : undefined;
  if (scope === undefined || value.charCodeAt(6) !== 0x2e /* . */) return undefined;
  const keyIdEnd = value.indexOf('.', 7);
  if (keyIdEnd <= 7) return undefined;
  const keyId = decodeKeyId(value.slice(7, keyIdEnd));
  if (keyId === undefined) return undefined;
  let at = keyIdEnd + 1;
  let generation: string | undefined;
  if (format === FORMAT_ID) {
    const end = at + GENERATION_TEXT_LENGTH;
    if (value.charCodeAt(end) !== 0x2e) return undefined;
    generation = value.slice(at, end);
    if (!isCanonicalBase64url(generation)) return undefined;
    at = end + 1;
  }
  const wrappedEnd = value.indexOf('.', at);
  if (wrappedEnd <= at) return undefined;
  const ivEnd = wrappedEnd + 1 + IV_TEXT_LENGTH;
  const tagEnd = ivEnd + 1 + TAG_TEXT_LENGTH;
  if (value.charCodeAt(ivEnd) !== 0x2e || value.charCodeAt(tagEnd) !== 0x2e) return undefined;
  const ivText = value.slice(wrappedEnd + 1, ivEnd);
  const tagText = value.slice(ivEnd + 1, tagEnd);
  const ciphertextText = value.slice(tagEnd + 1);
  // The alphabet check also refuses a '.' (one field too many).
  if (!isCanonicalBase64url(ivText) || !isCanonicalBase64url(tagText) || !isCanonicalBase64url(ciphertextText)) return undefined;
  return {
    format, scope, keyId, generation, wrappedKeyText: value.slice(at, wrappedEnd), ciphertextText,
    iv: Buffer.from(ivText, 'base64url'), tag: Buffer.from(tagText, 'base64url'),
  };
}

/** The wrapped key of a parsed record, `undefined` when its text is not canonical base64url. */
export function decodeWrappedKey(envelope: Envelope): Buffer | undefined {
  return isCanonicalBase64url(envelope.wrappedKeyText) ? Buffer.from(envelope.wrappedKeyText, 'base64url') : undefined;
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

/**
 * Encrypts `plaintext` for (`key`, `generation`, `version`) under `dataKey`, whose header is `header`.
 * @returns the stored text, `amk2.…`
 */
export function sealRecord(
  dataKey: Buffer, header: KeyHeader, scope: DataKeyScope, generation: string, key: RecordKey, version: number, plaintext: string,
): string {
  const iv = randomSlice(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(recordAad(FORMAT_ID, scope, header, generation, key, version));
  // GCM is a stream mode: `final` only computes the tag and returns no bytes.
  const body = cipher.update(plaintext, 'utf8');
  cipher.final();
  return `${FORMAT_ID}.${scope === 'record' ? 'r' : 's'}.${header.keyIdText}.${generation}.${header.wrappedKeyText}.${
    iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
}

/**
 * Decrypts and authenticates a parsed record (either format) for (`key`, `version`) under
 * `dataKey`, whose header is `header` (the one of the envelope's key id and wrapped key).
 * @returns the plaintext, or `undefined` when authentication fails
 */
export function openRecord(dataKey: Buffer, header: KeyHeader, envelope: Envelope, key: RecordKey, version: number): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, envelope.iv);
    decipher.setAAD(recordAad(envelope.format, envelope.scope, header, envelope.generation, key, version));
    decipher.setAuthTag(envelope.tag);
    const plaintext = decipher.update(Buffer.from(envelope.ciphertextText, 'base64url'));
    decipher.final();
    return plaintext.toString('utf8');
  } catch {
    return undefined;
  }
}

/** The AAD's first two items and their commas (`["amk2","store",`), per format and scope. */
const AAD_HEAD = {
  [FORMAT_ID]: { store: Buffer.from(`["${FORMAT_ID}","store",`), record: Buffer.from(`["${FORMAT_ID}","record",`) },
  [LEGACY_FORMAT_ID]: { store: Buffer.from(`["${LEGACY_FORMAT_ID}","store",`), record: Buffer.from(`["${LEGACY_FORMAT_ID}","record",`) },
} as const;

/**
 * The AES-GCM additional authenticated data of a record: the UTF-8 of
 * `JSON.stringify([format, scope, keyId, generation, wrappedKeyText, kind, provider, subject, version])`
 * (amk1: without `generation`), as records have always been written, assembled from the key's
 * pre-encoded parts instead of encoding the wrapped key again for every record.
 */
function recordAad(
  format: Envelope['format'], scope: DataKeyScope, header: KeyHeader, generation: string | undefined, key: RecordKey, version: number,
): Buffer {
  const head = AAD_HEAD[format][scope];
  // The generation is canonical base64url: JSON needs no escapes for it.
  const generationItem = generation === undefined ? '' : `"${generation}",`;
  const tail = `${JSON.stringify(key.kind)},${JSON.stringify(key.provider)},${JSON.stringify(key.subject)},${version}]`;
  const aad = Buffer.allocUnsafe(head.length + header.keyIdAad.length + generationItem.length + header.wrappedKeyAad.length + 3 * tail.length);
  let at = 0;
  aad.set(head, at);
  at += head.length;
  aad.set(header.keyIdAad, at);
  at += header.keyIdAad.length;
  at += aad.write(generationItem, at, 'latin1');
  aad.set(header.wrappedKeyAad, at);
  at += header.wrappedKeyAad.length;
  at += aad.write(tail, at, 'utf8');
  return aad.subarray(0, at);
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
