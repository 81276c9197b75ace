import type { CredentialStore } from '@authmanager/core';
import { KmsEncryptedCredentialStore, LocalKeyProvider } from '@authmanager/store-kms';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { SqlCredentialStore } from '@authmanager/store-sql';
import type { CommandContext } from './Context.js';
import { CliError, ExitCode } from './ExitCode.js';
import { ensureKeyFile, openLocalStore } from './localStore.js';

/** A store named on the command line, and whether this command opened it (and must close it). */
export interface OpenedStore {
  readonly store: CredentialStore;
  /** For messages: the spec with any password removed. */
  readonly label: string;
  readonly owned: boolean;
}

/** A URL with its password (and user) masked, for messages. */
export function redactUrl(spec: string): string {
  try {
    const url = new URL(spec);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return spec;
  }
}

/**
 * Opens the store a `migrate` argument names:
 * - `local`: the local store (encrypted SQLite under the user's config directory);
 * - `config`: the store of the configuration in use;
 * - `sqlite:<file>`, `postgres://…`, `mysql://…`, `mariadb://…`: a SQL store (tables created when missing);
 * - `redis://…`, `rediss://…`: a Redis store.
 * With `keyFile`, the store is wrapped in `KmsEncryptedCredentialStore` with a `LocalKeyProvider`
 * reading it (`create`: made with mode 0600 when absent, for a target).
 * @throws CliError `USAGE` for an unknown spec
 */
export async function openStoreSpec(ctx: CommandContext, spec: string, keyFile: string | undefined, create: boolean): Promise<OpenedStore> {
  let store: CredentialStore;
  let owned = true;
  if (spec === 'local') {
    if (keyFile) throw new CliError(ExitCode.USAGE, 'USAGE', 'the local store has its own key; drop the key option for it');
    return { store: await openLocalStore(ctx.configDir), label: 'local', owned: true };
  } else if (spec === 'config') {
    store = (await ctx.auth()).store;
    owned = false;
  } else if (/^(sqlite|postgres|postgresql|mysql|mariadb):/i.test(spec)) {
    const sql = new SqlCredentialStore({ database: spec, purgeIntervalMs: 0 });
    await sql.migrate();
    store = sql;
  } else if (/^rediss?:\/\//i.test(spec)) {
    store = new RedisCredentialStore({ redis: spec });
  } else {
    throw new CliError(ExitCode.USAGE, 'USAGE', `unknown store "${redactUrl(spec)}"`, 'use local, config, sqlite:<file>, postgres://…, mysql://…, mariadb://…, redis://… or rediss://…');
  }
  if (keyFile !== undefined) {
    if (create) ensureKeyFile(keyFile);
    store = new KmsEncryptedCredentialStore(store, LocalKeyProvider.fromFile(keyFile));
  }
  return { store, label: redactUrl(spec) + (keyFile ? ' (encrypted)' : ''), owned };
}
