import type { RecordKey, RecordKind } from '@authmanager/core';

/** Characters kept as they are in key parts; everything else is percent-encoded. */
const SAFE = /^[A-Za-z0-9._~@+-]$/;
/** {@link SAFE} as a table by UTF-16 code unit (ASCII): 1 = kept as it is. */
const SAFE_CODES = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~@+-') SAFE_CODES[char.charCodeAt(0)] = 1;

/** Whether every character of `part` is kept as it is: one table look-up per character, no regular expression (the list hot path). */
function allSafe(part: string): boolean {
  for (let i = 0; i < part.length; i += 1) {
    const code = part.charCodeAt(i);
    if (code >= 128 || SAFE_CODES[code] === 0) return false;
  }
  return true;
}
/** Characters with a meaning in SCAN `MATCH` glob patterns. */
const GLOB_SPECIAL = /[*?[\]\\]/g;

/**
 * The Redis key schema of `RedisCredentialStore` (internal; documented in the README):
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `<prefix><kind>:{<provider>:<subject>}` | string | `<version>:<write id>:<value>` (earlier records: a hash, `v`, `r` = `<version>:<value>`, `w`) |
 * | `<prefix>lock:<kind>:{<provider>:<subject>}` | string | owner token of the refresh lock |
 * | `<prefix>index:<kind>:provider:{<provider>}` | set | encoded subjects (optional index) |
 * | `<prefix>index:<kind>:subject:{<subject>}` | set | encoded providers (optional index) |
 *
 * `kind`, `provider` and `subject` are encoded with {@link encodeKeyPart}: the encoded parts never
 * contain `:`, `{`, `}` or a glob character, so the braces are a Redis Cluster hash tag shared by
 * every key of one record (one slot), and no provider or subject can forge another's key.
 */
export class RedisKeySchema {
  /** The configured prefix, e.g. `'authmanager:'`. */
  readonly prefix: string;

  /**
   * @param prefix - prepended to every key; must not contain `{` or `}` (it would move the hash tag)
   * @throws RangeError when `prefix` contains `{` or `}`
   */
  constructor(prefix: string) {
    if (/[{}]/.test(prefix)) throw new RangeError('keyPrefix must not contain "{" or "}" (they would change the Redis Cluster hash tag)');
    this.prefix = prefix;
  }

  /** The hash tag shared by every key of `key`, braces included: `{<provider>:<subject>}`. */
  hashTag(key: Pick<RecordKey, 'provider' | 'subject'>): string {
    return `{${encodeKeyPart(key.provider)}:${encodeKeyPart(key.subject)}}`;
  }

  /** The key of the hash that holds the record. */
  recordKey(key: RecordKey): string {
    return `${this.prefix}${encodeKeyPart(key.kind)}:${this.hashTag(key)}`;
  }

  /** The key of the record's lock. */
  lockKey(key: RecordKey): string {
    return `${this.prefix}lock:${encodeKeyPart(key.kind)}:${this.hashTag(key)}`;
  }

  /**
   * A SCAN `MATCH` pattern for the record keys of one kind, optionally narrowed to one provider or
   * one subject. Matching keys must still be checked with {@link RedisKeySchema.parseRecordKey}.
   */
  scanPattern(filter: { kind: RecordKind; provider?: string | undefined; subject?: string | undefined }): string {
    const provider = filter.provider === undefined ? '*' : encodeKeyPart(filter.provider);
    const subject = filter.subject === undefined ? '*' : encodeKeyPart(filter.subject);
    const tag = provider === '*' && subject === '*' ? '*' : `${provider}:${subject}`;
    return `${escapeGlob(this.prefix)}${encodeKeyPart(filter.kind)}:{${tag}}`;
  }

  /** The key of the optional index set of `provider`'s records of `kind` (members: encoded subjects). */
  providerIndexKey(kind: RecordKind, provider: string): string {
    return `${this.prefix}index:${encodeKeyPart(kind)}:provider:{${encodeKeyPart(provider)}}`;
  }

  /** The key of the optional index set of `subject`'s records of `kind` (members: encoded providers). */
  subjectIndexKey(kind: RecordKind, subject: string): string {
    return `${this.prefix}index:${encodeKeyPart(kind)}:subject:{${encodeKeyPart(subject)}}`;
  }

  /** The due index: a sorted set of credential records by the time they are due for a proactive refresh. */
  dueKey(): string {
    return `${this.prefix}due:credentials`;
  }

  /** A due-index member: `<encoded provider>:<encoded subject>`. */
  dueMember(key: Pick<RecordKey, 'provider' | 'subject'>): string {
    return `${encodeKeyPart(key.provider)}:${encodeKeyPart(key.subject)}`;
  }

  /** The credential key of a due-index member, or `undefined` when it is not one. */
  parseDueMember(member: string): RecordKey | undefined {
    const colon = member.indexOf(':');
    if (colon < 0) return undefined;
    const provider = decodeOrUndefined(member.slice(0, colon));
    const subject = decodeOrUndefined(member.slice(colon + 1));
    return provider === undefined || subject === undefined ? undefined : { kind: 'credentials', provider, subject };
  }

  /** `<prefix><kind>:{`: the start of every record key of `kind`. */
  recordKeyHead(kind: RecordKind): string {
    return `${this.prefix}${encodeKeyPart(kind)}:{`;
  }

  /** `<prefix><kind>:{<provider>:`: the start of every record key of `kind` and `provider`. */
  providerKeyHead(kind: RecordKind, provider: string): string {
    return `${this.recordKeyHead(kind)}${encodeKeyPart(provider)}:`;
  }

  /**
   * The record key's (kind, provider, subject) when it starts with
   * {@link RedisKeySchema.providerKeyHead} of `kind` and `provider` (of length `headLength`,
   * checked by the caller), else `undefined`: only the subject is decoded.
   */
  parseRecordKeyOfProvider(redisKey: string, kind: RecordKind, provider: string, headLength: number): RecordKey | undefined {
    const last = redisKey.length - 1;
    if (redisKey.charCodeAt(last) !== 0x7d /* } */) return undefined;
    const subject = decodeOrUndefined(redisKey.slice(headLength, last));
    return subject === undefined ? undefined : { kind, provider, subject };
  }

  /** The record key's (kind, provider, subject), or `undefined` when `redisKey` is not a record key of this schema. */
  parseRecordKey(redisKey: string): RecordKey | undefined {
    if (!redisKey.startsWith(this.prefix)) return undefined;
    const open = redisKey.indexOf(':{', this.prefix.length);
    if (open < 0) return undefined;
    const kind = decodeOrUndefined(redisKey.slice(this.prefix.length, open));
    if (kind === undefined || kind === '') return undefined;
    return this.parseRecordKeyOfKind(redisKey, kind as RecordKind, open + 2);
  }

  /**
   * The record key's (kind, provider, subject) when it starts with {@link RedisKeySchema.recordKeyHead}
   * of `kind` (of length `headLength`, checked by the caller), else `undefined`. No regular
   * expression per key: the list hot path.
   */
  parseRecordKeyOfKind(redisKey: string, kind: RecordKind, headLength: number): RecordKey | undefined {
    const last = redisKey.length - 1;
    if (redisKey.charCodeAt(last) !== 0x7d /* } */) return undefined;
    const colon = redisKey.indexOf(':', headLength);
    if (colon < 0 || colon > last) return undefined;
    const provider = decodeOrUndefined(redisKey.slice(headLength, colon));
    const subject = decodeOrUndefined(redisKey.slice(colon + 1, last));
    if (provider === undefined || subject === undefined) return undefined;
    return { kind, provider, subject };
  }
}

/** {@link decodeKeyPart}, `undefined` instead of a throw; a part with only safe characters is returned as it is. */
export function decodeOrUndefined(encoded: string): string | undefined {
  if (allSafe(encoded)) return encoded;
  try {
    return decodeKeyPart(encoded);
  } catch {
    return undefined;
  }
}

/**
 * Encode one key part reversibly: `[A-Za-z0-9._~@+-]` stay; every other character becomes its
 * UTF-8 bytes as `%XX` (upper-case hex); a lone UTF-16 surrogate (not valid UTF-8) becomes `%uXXXX`.
 * The result never contains `:`, `{`, `}`, `*`, `?`, `[`, `]` or `\`.
 *
 * @example
 * ```ts
 * encodeKeyPart('user@example.com'); // 'user@example.com'
 * encodeKeyPart('a:{b}');            // 'a%3A%7Bb%7D'
 * ```
 */
export function encodeKeyPart(part: string): string {
  if (allSafe(part)) return part; // the common case (ids, emails): no per-character work
  let out = '';
  for (const char of part) {
    if (SAFE.test(char)) {
      out += char;
      continue;
    }
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The inverse of {@link encodeKeyPart}.
 * @throws TypeError when `encoded` is not an output of {@link encodeKeyPart}
 */
export function decodeKeyPart(encoded: string): string {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out += utf8.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  for (let i = 0; i < encoded.length;) {
    const char = encoded[i] ?? '';
    if (char !== '%') {
      if (!SAFE.test(char)) throw new TypeError('not an encoded key part');
      flush();
      out += char;
      i += 1;
    } else if (encoded[i + 1] === 'u') {
      const hex = encoded.slice(i + 2, i + 6);
      if (!/^[0-9A-F]{4}$/.test(hex)) throw new TypeError('not an encoded key part');
      flush();
      out += String.fromCharCode(parseInt(hex, 16));
      i += 6;
    } else {
      const hex = encoded.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new TypeError('not an encoded key part');
      bytes.push(parseInt(hex, 16));
      i += 3;
    }
  }
  flush();
  return out;
}

function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, '\\$&');
}
