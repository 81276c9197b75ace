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
const TAG_BYTES = 16;
/** Unpadded base64url lengths of the fixed-size fields (12-byte IV, 16-byte tag and generation). */
const IV_TEXT_LENGTH = 16;
const TAG_TEXT_LENGTH = 22;
const GENERATION_TEXT_LENGTH = 22;
const SEGMENT = /^[A-Za-z0-9_-]*$/;
/** Sticky (`y`): matched from `lastIndex` to the end, so the tail is checked without slicing it off first. */
const SEALED_TAIL = new RegExp(`[A-Za-z0-9_-]{${IV_TEXT_LENGTH}}\\.[A-Za-z0-9_-]{${TAG_TEXT_LENGTH}}\\.[A-Za-z0-9_-]*$`, 'y');

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

/**
 * A parsed record header and body, as checked text: nothing is decoded but the key id, and
 * {@link openRecord} decodes IV, tag and ciphertext when it opens the record.
 */
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
  /**
   * The stored text up to the IV (`amk2.<scope>.<keyId>.<generation>.<wrappedKey>.`): every field
   * above is a function of it, so a record that starts with the same text has the same fields
   * (see `parseEnvelope`'s `known`).
   */
  readonly headerText: string;
  /** The IV (canonical base64url of 12 bytes), the tag (of 16 bytes) and the ciphertext, as stored. */
  readonly ivText: string;
  readonly tagText: string;
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
 * found with `indexOf` and checked on the text (lengths, alphabet, canonical last character);
 * nothing but the key id is decoded. The wrapped key is checked by {@link decodeWrappedKey} when it
 * must be unwrapped, the ciphertext's alphabet here (the decipher decodes it).
 * @param known - the record as parsed before (another version of it, usually): when `value`
 *   starts with its {@link Envelope.headerText}, the header fields are taken from it (the same
 *   strings, whose hashes V8 has already computed) and only the rest is parsed. The result is the
 *   same either way.
 */
export function parseEnvelope(value: string, known?: Envelope): Envelope | undefined {
  // (A slice compared with `===` is a memcmp; `startsWith` of a long prefix measured slower in V8.)
  if (known !== undefined && value.slice(0, known.headerText.length) === known.headerText) {
    return withTail(value, known.format, known.scope, known.keyId, known.generation, known.wrappedKeyText, known.headerText);
  }
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
  return withTail(value, format, scope, keyId, generation, value.slice(at, wrappedEnd), value.slice(0, wrappedEnd + 1));
}

/**
 * The envelope of `value` with the given header fields (parsed from `headerText`, which `value`
 * starts with), once its tail `<iv>.<tag>.<ciphertext>` is checked in one pass: fixed lengths,
 * the alphabet, no further '.', canonical last characters.
 */
function withTail(
  value: string, format: Envelope['format'], scope: DataKeyScope, keyId: string, generation: string | undefined, wrappedKeyText: string, headerText: string,
): Envelope | undefined {
  const from = headerText.length;
  SEALED_TAIL.lastIndex = from;
  if (!SEALED_TAIL.test(value)) return undefined;
  const tagFrom = from + IV_TEXT_LENGTH + 1;
  const tagText = value.slice(tagFrom, tagFrom + TAG_TEXT_LENGTH);
  const ciphertextText = value.slice(tagFrom + TAG_TEXT_LENGTH + 1);
  // (16 characters of IV end on a byte boundary: always canonical.)
  if (!hasCanonicalEnd(tagText) || !hasCanonicalEnd(ciphertextText)) return undefined;
  return { format, scope, keyId, generation, wrappedKeyText, headerText, ivText: value.slice(from, from + IV_TEXT_LENGTH), tagText, ciphertextText };
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

/** What {@link sealRecord} produced: the stored text, and what a parse of it and the reader's AAD stem would give. */
export interface SealedRecord {
  readonly text: string;
  readonly envelope: Envelope;
  readonly aadStem: Buffer;
}

/**
 * Encrypts `plaintext` for (`key`, `generation`, `version`) under `dataKey`, whose header is `header`.
 * @param known - an earlier version of the record (as opened or written): its AAD stem is reused when it fits
 * @returns the stored text (`amk2.…`) with its envelope and AAD stem
 */
export function sealRecord(
  dataKey: Buffer, header: KeyHeader, scope: DataKeyScope, generation: string, key: RecordKey, version: number, plaintext: string,
  known?: { readonly envelope: Envelope; readonly aadStem: Buffer },
): SealedRecord {
  const iv = randomSlice(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  const stem = known !== undefined && stemFits(known.envelope, FORMAT_ID, scope, header, generation)
    ? known.aadStem
    : aadStem(FORMAT_ID, scope, header, generation, key);
  cipher.setAAD(recordAad(stem, version));
  // GCM is a stream mode: `final` only computes the tag and returns no bytes.
  const ciphertextText = cipher.update(plaintext, 'utf8').toString('base64url');
  cipher.final();
  const ivText = iv.toString('base64url');
  const tagText = cipher.getAuthTag().toString('base64url');
  // The known record's header text when it has this header: a reader of both then parses only the tail.
  const headerText = stem === known?.aadStem
    ? known.envelope.headerText
    : `${FORMAT_ID}.${scope === 'record' ? 'r' : 's'}.${header.keyIdText}.${generation}.${header.wrappedKeyText}.`;
  const envelope: Envelope = {
    format: FORMAT_ID, scope, keyId: header.keyId, generation, wrappedKeyText: header.wrappedKeyText, headerText, ivText, tagText, ciphertextText,
  };
  return { text: `${headerText}${ivText}.${tagText}.${ciphertextText}`, envelope, aadStem: stem };
}

/**
 * Decrypts and authenticates a parsed record (either format) at `version` under `dataKey`.
 * @param stem - {@link aadStem} of the envelope's format, scope and generation, its data key's header and the record's key
 * @returns the plaintext, or `undefined` when authentication fails
 */
export function openRecord(dataKey: Buffer, stem: Buffer, envelope: Envelope, version: number): string | undefined {
  try {
    // IV, tag and AAD go into buffers reused by every call: createDecipheriv copies the IV,
    // setAuthTag the tag, and setAAD feeds GHASH at once, so none is read after its call returns.
    const decipher = createDecipheriv('aes-256-gcm', dataKey, decodeInto(IV_SCRATCH, envelope.ivText));
    decipher.setAAD(recordAad(stem, version));
    decipher.setAuthTag(decodeInto(TAG_SCRATCH, envelope.tagText));
    const plaintext = decipher.update(envelope.ciphertextText, 'base64url');
    decipher.final();
    return plaintext.toString('utf8');
  } catch {
    return undefined;
  }
}

const IV_SCRATCH = Buffer.alloc(IV_BYTES);
const TAG_SCRATCH = Buffer.alloc(TAG_BYTES);

/**
 * Decodes `text`, unpadded base64url already checked by `parseEnvelope` and exactly as long as
 * `into` needs (16 characters for the IV, 22 for the tag), into `into`.
 */
function decodeInto(into: Buffer, text: string): Buffer {
  into.write(text, 0, 'base64url');
  return into;
}

/** The AAD's first two items and their commas (`["amk2","store",`), per format and scope. */
const AAD_HEAD = {
  [FORMAT_ID]: { store: Buffer.from(`["${FORMAT_ID}","store",`), record: Buffer.from(`["${FORMAT_ID}","record",`) },
  [LEGACY_FORMAT_ID]: { store: Buffer.from(`["${LEGACY_FORMAT_ID}","store",`), record: Buffer.from(`["${LEGACY_FORMAT_ID}","record",`) },
} as const;

/**
 * The AES-GCM additional authenticated data of a record is the UTF-8 of
 * `JSON.stringify([format, scope, keyId, generation, wrappedKeyText, kind, provider, subject, version])`
 * (amk1: without `generation`), as records have always been written. The stem is all of it but
 * `version]`: it is the same for every version of a record within one lifetime under one data key,
 * so a reader can keep it with the record, and it is assembled from the key's pre-encoded parts.
 */
export function aadStem(
  format: Envelope['format'], scope: DataKeyScope, header: KeyHeader, generation: string | undefined, key: RecordKey,
): Buffer {
  const head = AAD_HEAD[format][scope];
  // The generation is canonical base64url: JSON needs no escapes for it.
  const generationItem = generation === undefined ? '' : `"${generation}",`;
  const tail = `${JSON.stringify(key.kind)},${JSON.stringify(key.provider)},${JSON.stringify(key.subject)},`;
  const stem = Buffer.allocUnsafe(head.length + header.keyIdAad.length + generationItem.length + header.wrappedKeyAad.length + 3 * tail.length);
  let at = 0;
  stem.set(head, at);
  at += head.length;
  stem.set(header.keyIdAad, at);
  at += header.keyIdAad.length;
  at += stem.write(generationItem, at, 'latin1');
  stem.set(header.wrappedKeyAad, at);
  at += header.wrappedKeyAad.length;
  at += stem.write(tail, at, 'utf8');
  return stem.subarray(0, at);
}

/** Whether records parsed as `a` and `b` share an {@link aadStem} (for one record key). */
export function sameAadStem(a: Envelope, b: Envelope): boolean {
  return stemFits(a, b.format, b.scope, { keyId: b.keyId, wrappedKeyText: b.wrappedKeyText }, b.generation);
}

/** Whether the {@link aadStem} of the record parsed as `envelope` is that of (`format`, `scope`, `header`, `generation`) for the same record key. */
function stemFits(
  envelope: Envelope, format: Envelope['format'], scope: DataKeyScope, header: Pick<KeyHeader, 'keyId' | 'wrappedKeyText'>, generation: string | undefined,
): boolean {
  return envelope.format === format && envelope.scope === scope && envelope.keyId === header.keyId
    && envelope.generation === generation && envelope.wrappedKeyText === header.wrappedKeyText;
}

/**
 * The AAD of a record at `version`: its stem, then `version]`, in a buffer reused by every call
 * (see `openRecord`), with the stem copied only when it is not the previous call's.
 */
function recordAad(stem: Buffer, version: number): Buffer {
  // `${version}]` is at most 24 bytes for any number.
  if (aad.buffer.length < stem.length + 24) {
    aad = { buffer: Buffer.allocUnsafe(Math.max(stem.length + 24, 2 * aad.buffer.length)), stem: undefined, views: [] };
  }
  const { buffer, views } = aad;
  if (aad.stem !== stem) {
    buffer.set(stem, 0);
    aad.stem = stem;
  }
  const end = stem.length + buffer.write(`${version}]`, stem.length, 'latin1');
  // One view per length, made once (`subarray` costs as much as the rest of this function).
  return views[end] ??= buffer.subarray(0, end);
}

/** The AAD buffer, the stem last copied into it, and views of its first n bytes by n. */
let aad: { readonly buffer: Buffer; stem: Buffer | undefined; readonly views: Buffer[] } = { buffer: Buffer.allocUnsafe(1024), stem: undefined, views: [] };

/**
 * Whether `text` is unpadded base64url as `Buffer#toString('base64url')` writes it: only the
 * alphabet, a length that is not 1 modulo 4, and zero bits in the unused low bits of the last
 * character. Checked without decoding and encoding again (the read hot path).
 */
function isCanonicalBase64url(text: string): boolean {
  return SEGMENT.test(text) && hasCanonicalEnd(text);
}

/** For text in the base64url alphabet: whether its length and last character are as `Buffer#toString('base64url')` writes them. */
function hasCanonicalEnd(text: string): boolean {
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
