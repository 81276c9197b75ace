import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialStore } from '@authmanager/core';
import { KmsEncryptedCredentialStore, LocalKeyProvider } from '@authmanager/store-kms';
import { SqlCredentialStore } from '@authmanager/store-sql';
import { localPaths, type LocalPaths } from './paths.js';

/**
 * Creates `path` holding a fresh 32-byte key (base64), mode 0600, unless it exists. `wx` makes
 * two processes racing on a fresh machine agree on one key.
 * @returns whether this call created it
 */
export function ensureKeyFile(path: string): boolean {
  try {
    writeFileSync(path, `${LocalKeyProvider.generateKey()}\n`, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Creates `dir` (mode 0700) and an empty database file (mode 0600) so SQLite never makes it world-readable. */
function ensureFiles(paths: LocalPaths): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(paths.database)) closeSync(openSync(paths.database, 'a', 0o600));
  ensureKeyFile(paths.key);
}

/** Key files kept after rotations, oldest first. */
export function previousKeyFiles(paths: LocalPaths): string[] {
  if (!existsSync(paths.previousKeysDir)) return [];
  return readdirSync(paths.previousKeysDir).filter((f) => f.endsWith('.key'))
    .map((f) => join(paths.previousKeysDir, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/**
 * Opens the store of an encrypted SQLite file, creating the file and the key on first use:
 * `SqlCredentialStore` (SQLite through `node:sqlite`) wrapped in `KmsEncryptedCredentialStore`
 * with a `LocalKeyProvider` reading `keyFile` (and `previousKeyFiles`, for records written before
 * a rotation).
 * @param database - the SQLite file
 * @param keyFile - the key file (created with mode 0600 when absent)
 */
export async function openEncryptedSqlite(database: string, keyFile: string, previousKeyFilePaths: readonly string[] = []): Promise<KmsEncryptedCredentialStore> {
  ensureKeyFile(keyFile);
  const inner = new SqlCredentialStore({ database: `sqlite:${database}`, purgeIntervalMs: 0 });
  await inner.migrate();
  return new KmsEncryptedCredentialStore(inner, LocalKeyProvider.fromFile(keyFile, { previousPaths: previousKeyFilePaths }));
}

/**
 * The durable local store used without configuration (and when a config gives no store): the SQL
 * store's SQLite file `credentials.db` under the user's config directory, encrypted with the local
 * key `local.key` beside it (created with mode 0600).
 * @param dir - see {@link userConfigDir}
 */
export async function openLocalStore(dir: string): Promise<CredentialStore> {
  const paths = localPaths(dir);
  ensureFiles(paths);
  return openEncryptedSqlite(paths.database, paths.key, previousKeyFiles(paths));
}

/**
 * Starts a local key rotation: the current key moves to `keys/<n>.key` (still read) and a fresh
 * `local.key` is written. Records are then re-encrypted by `rotate()`.
 * @returns the path the old key was moved to
 */
export function rotateLocalKeyFile(paths: LocalPaths): string {
  mkdirSync(paths.previousKeysDir, { recursive: true, mode: 0o700 });
  const old = readFileSync(paths.key);
  const target = join(paths.previousKeysDir, `${Date.now()}.key`);
  writeFileSync(target, old, { mode: 0o600, flag: 'wx' });
  const fresh = `${paths.key}.new`;
  writeFileSync(fresh, `${LocalKeyProvider.generateKey()}\n`, { mode: 0o600, flag: 'w' });
  renameSync(fresh, paths.key);
  return target;
}
