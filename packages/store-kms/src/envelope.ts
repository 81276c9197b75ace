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
  readonly ciphertext: Buffer;
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
    const bytes = decodeSegment(generation);
    if (bytes === undefined || bytes.length !== GENERATION_BYTES) return undefined;
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
  const keyIdBytes = decodeSegment(keyIdText);
  const wrappedKey = decodeSegment(wrappedText);
  const iv = decodeSegment(ivText);
  const tag = decodeSegment(tagText);
  const ciphertext = decodeSegment(bodyText);
  if (!keyIdBytes || !wrappedKey || !iv || !tag || !ciphertext) return undefined;
  if (keyIdBytes.length === 0 || wrappedKey.length === 0 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
  const keyId = keyIdBytes.toString('utf8');
  if (Buffer.from(keyId, 'utf8').toString('base64url') !== keyIdText) return undefined;
  return { format, scope, keyId, generation, wrappedKey, wrappedKeyText: wrappedText, iv, tag, ciphertext };
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
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]).toString('utf8');
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

/** Strict base64url: only the alphabet, and only the canonical encoding of its bytes. */
function decodeSegment(text: string): Buffer | undefined {
  if (!SEGMENT.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
