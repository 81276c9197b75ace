// A reader that has opened a record parses the next version from the header it already knows
// (same lifetime, same data key: the same text up to the IV) and only checks the rest. These pin
// that the rest is still checked in full, and that the reused IV, tag and AAD buffers give each
// read its own record's values.
import { describe, expect, it } from '@jest/globals';
import type { RecordKey } from '@authmanager/core';
import { randomBytes } from 'node:crypto';
import { KmsEncryptedCredentialStore, LocalKeyProvider } from '../src/index.js';
import { codeOf, newKey, rejectionOf, TamperableStore, withField } from './helpers.js';

/** A writer and a reader over one inner store (two processes sharing Redis, as far as their caches go). */
function twoProcesses(): { inner: TamperableStore; writer: KmsEncryptedCredentialStore; reader: KmsEncryptedCredentialStore } {
  const inner = new TamperableStore();
  const key = randomBytes(32);
  return {
    inner,
    writer: new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key })),
    reader: new KmsEncryptedCredentialStore(inner, new LocalKeyProvider({ key })),
  };
}

/** Index of the first character after the header (`amk2.s.<keyId>.<generation>.<wrappedKey>.`). */
function tailStart(stored: string): number {
  let at = 0;
  for (let dots = 0; dots < 5; dots++) at = stored.indexOf('.', at) + 1;
  return at;
}

/**
 * Edits of the tail of a stored record that keep its header: a changed character at every 5th
 * position, and texts that a lenient base64 decoder reads as the same bytes (a character outside
 * the base64url alphabet inserted, padding added, '-' and '_' in their standard-base64 spelling).
 * Each returns `undefined` when it does not apply to the text given.
 */
function tailEdits(length: number): Array<[string, (stored: string) => string | undefined]> {
  const edits: Array<[string, (stored: string) => string | undefined]> = [];
  for (let i = 0; i < length; i += 5) {
    edits.push([`character ${i} of the tail changed`, (stored) => {
      const at = tailStart(stored) + i;
      return at >= stored.length || stored[at] === '.' ? undefined : `${stored.slice(0, at)}${stored[at] === 'A' ? 'B' : 'A'}${stored.slice(at + 1)}`;
    }]);
  }
  for (const extra of [' ', '!', '=', '\n']) {
    edits.push([`${JSON.stringify(extra)} inserted in the ciphertext`, (stored) => {
      const at = stored.length - 4;
      return `${stored.slice(0, at)}${extra}${stored.slice(at)}`;
    }]);
  }
  edits.push(['padding appended', (stored) => `${stored}==`]);
  edits.push(['"-" or "_" spelled "+" or "/"', (stored) => {
    const start = tailStart(stored);
    const tail = stored.slice(start);
    return /[-_]/.test(tail) ? stored.slice(0, start) + tail.replaceAll('-', '+').replaceAll('_', '/') : undefined;
  }]);
  return edits;
}

describe('reading a record another writer changed', () => {
  it('opens every version, across digit boundaries of the version (9 → 10, 99 → 100), reading two records in turn', async () => {
    const { writer, reader } = twoProcesses();
    const keys: RecordKey[] = [newKey(), newKey()];
    const wrong: string[] = [];
    for (let version = 1; version <= 120; version++) {
      for (const [i, key] of keys.entries()) {
        const value = `token-${i}-${version}-${'x'.repeat(version % 7)}`;
        await writer.set(key, value);
        const read = await reader.get(key);
        if (read?.value !== value || read.version !== version) wrong.push(`${i}@${version}: ${JSON.stringify(read)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('rejects with DECRYPTION_FAILED every edit of the tail of the next version, though its header is the one already read', async () => {
    const { inner, writer, reader } = twoProcesses();
    const key = newKey();
    await writer.set(key, 'next-version-secret');
    const sample = (await inner.memory.get(key))!.value;
    const outcomes: Record<string, string> = {};
    for (const [name, edit] of tailEdits(sample.length - tailStart(sample))) {
      for (let attempt = 0; attempt < 50 && outcomes[name] === undefined; attempt++) {
        // The reader opens a genuine version, the writer writes the next (same header), and an
        // attacker edits that one in place before the reader gets it.
        await writer.set(key, 'current');
        await reader.get(key);
        await writer.set(key, 'next-version-secret');
        const edited = edit((await inner.memory.get(key))!.value);
        if (edited === undefined) continue; // (this ciphertext has no character the edit needs: another one)
        inner.overwriteInPlace(key, edited);
        const err = await rejectionOf(reader.get(key));
        outcomes[name] = String((err as Error).message).includes('next-version-secret') ? 'leaked' : codeOf(err);
      }
    }
    expect(outcomes).toEqual(Object.fromEntries(tailEdits(sample.length - tailStart(sample)).map(([name]) => [name, 'DECRYPTION_FAILED'])));
  });

  /** A record the reader has opened at version 1, then written again (version 2, 'second') by the writer: what the reader reads next. */
  async function secondVersionAfterARead() {
    const { inner, writer, reader } = twoProcesses();
    const key = newKey();
    await writer.set(key, 'first');
    await reader.get(key);
    await writer.set(key, 'second');
    return { inner, writer, reader, key, stored: (await inner.memory.get(key))!.value };
  }

  it('rejects with DECRYPTION_FAILED a next version whose wrapped key was changed (a header not the one already read)', async () => {
    const { inner, writer, reader, key, stored } = await secondVersionAfterARead();
    const wrapped = Buffer.from(stored.split('.')[4]!, 'base64url');
    wrapped[0] = wrapped[0]! ^ 1;
    inner.overwriteInPlace(key, withField(stored, 4, wrapped.toString('base64url')));
    expect(codeOf(await rejectionOf(reader.get(key)))).toBe('DECRYPTION_FAILED');
  });

  it('still opens the genuine next version after a rejected edit', async () => {
    const { inner, writer, reader, key, stored } = await secondVersionAfterARead();
    inner.overwriteInPlace(key, `${stored.slice(0, -3)}!${stored.slice(-3)}`);
    const rejected = codeOf(await rejectionOf(reader.get(key)));
    await writer.set(key, 'third');
    expect({ rejected, next: (await reader.get(key))?.value }).toEqual({ rejected: 'DECRYPTION_FAILED', next: 'third' });
  });
});
