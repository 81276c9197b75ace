import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialStore, RecordKey } from '@authmanager/core';
import type { CommandContext } from '../Context.js';
import { CliError, ExitCode } from '../ExitCode.js';
import { rotateLocalKeyFile } from '../localStore.js';
import { localPaths } from '../paths.js';
import { openStoreSpec } from '../storeSpec.js';

/** Options of `authmanager migrate`. */
export interface MigrateOptions {
  readonly from: string;
  readonly to: string;
  readonly fromKey?: string;
  readonly toKey?: string;
}

async function keysOf(store: CredentialStore): Promise<RecordKey[]> {
  const keys: RecordKey[] = [];
  for await (const key of store.list({ kind: 'credentials' })) keys.push({ kind: key.kind, provider: key.provider, subject: key.subject });
  return keys;
}

/**
 * `authmanager migrate --from <store> --to <store>`: copies every credential record, then reads
 * each back from the target and compares. A record the target already holds unchanged is skipped,
 * so a run that stopped resumes. Pending authorizations (minutes-long) are not copied.
 */
export async function migrate(ctx: CommandContext, options: MigrateOptions): Promise<void> {
  if (options.from === options.to && options.fromKey === options.toKey) {
    throw new CliError(ExitCode.USAGE, 'USAGE', '--from and --to name the same store');
  }
  const from = await openStoreSpec(ctx, options.from, options.fromKey, false);
  try {
    const to = await openStoreSpec(ctx, options.to, options.toKey, true);
    try {
      const keys = await keysOf(from.store);
      const bar = ctx.out.progress('Copying', keys.length);
      const copiedValues = new Map<RecordKey, string>();
      let copied = 0;
      let skipped = 0;
      let vanished = 0;
      let done = 0;
      try {
        for (const key of keys) {
          const record = await from.store.get(key);
          if (record === undefined) vanished += 1;
          else {
            const existing = await to.store.get(key);
            if (existing?.value === record.value) skipped += 1;
            else { await to.store.set(key, record.value); copied += 1; }
            copiedValues.set(key, record.value);
          }
          bar.update(++done);
        }
      } finally {
        bar.stop();
      }
      let verified = 0;
      const mismatched: RecordKey[] = [];
      for (const [key, value] of copiedValues) {
        if ((await to.store.get(key))?.value === value) verified += 1;
        else mismatched.push(key);
      }
      const targetRecords = (await keysOf(to.store)).length;
      const result = {
        from: from.label, to: to.label, sourceRecords: keys.length, copied, skipped, vanished, verified, targetRecords,
        ok: mismatched.length === 0 && verified === copiedValues.size,
        ...(mismatched.length ? { mismatched: mismatched.map((k) => ({ provider: k.provider, subject: k.subject })) } : {}),
      };
      ctx.out.result(result, () => [
        `Copied ${copied}, already there ${skipped}${vanished ? `, deleted meanwhile ${vanished}` : ''} of ${keys.length} records from ${from.label} to ${to.label}.`,
        `Verified ${verified}/${copiedValues.size} records in the target (it now holds ${targetRecords}).`,
      ].join('\n'));
      if (!result.ok) {
        throw new CliError(ExitCode.CHECK_FAILED, 'MIGRATION_UNVERIFIED', `${mismatched.length} record(s) differ in the target after copying`, 'run the same migrate again; it copies only what is missing or different');
      }
    } finally {
      if (to.owned) await to.store.close?.();
    }
  } finally {
    if (from.owned) await from.store.close?.();
  }
}

/** A store that can re-encrypt its records (`KmsEncryptedCredentialStore`). */
interface Rotatable {
  rotate(options: { onProgress?: (p: { scanned: number; reencrypted: number; skipped: number; failed: number }) => void }): Promise<{ keyId: string; scanned: number; reencrypted: number; skipped: number; missing: number; failed: number; failedKeys: readonly RecordKey[] }>;
}

function isRotatable(store: CredentialStore): store is CredentialStore & Rotatable {
  return typeof (store as Partial<Rotatable>).rotate === 'function';
}

/**
 * `authmanager keys rotate`: re-encrypts every record under the current key. For the local store
 * it first makes a new local key (the old one is kept in `keys/` and still read); for a configured
 * `KmsEncryptedCredentialStore` the current key is the one its key provider names (move the KMS
 * alias first). Records already under the current key are skipped, so running it again resumes.
 */
export async function keysRotate(ctx: CommandContext): Promise<void> {
  let loaded = await ctx.config();
  const marker = join(ctx.configDir, 'rotation.json');
  let newKey = false;
  if (loaded.localStore) {
    // A rotation that stopped is resumed under the key it started, not a newer one.
    if (!existsSync(marker)) {
      rotateLocalKeyFile(localPaths(ctx.configDir));
      writeFileSync(marker, `${JSON.stringify({ startedAt: new Date().toISOString() })}\n`, { mode: 0o600 });
      newKey = true;
    }
    await ctx.reload();
    loaded = await ctx.config();
  }
  const store = loaded.auth.store;
  if (!isRotatable(store)) {
    throw new CliError(ExitCode.CONFIGURATION, 'NOT_ENCRYPTED', 'the store in use is not encrypted, so there is no key to rotate',
      'wrap it in KmsEncryptedCredentialStore from @authmanager/store-kms');
  }
  let total = 0;
  for await (const _ of store.list({ kind: 'credentials' })) total += 1;
  const bar = ctx.out.progress('Re-encrypting', total);
  let result;
  try {
    result = await store.rotate({ onProgress: (p) => { bar.update(p.scanned, Math.max(total, p.scanned)); } });
  } finally {
    bar.stop();
  }
  if (result.failed === 0 && loaded.localStore) rmSync(marker, { force: true });
  ctx.out.result({ keyId: result.keyId, newKey, scanned: result.scanned, reencrypted: result.reencrypted, skipped: result.skipped, missing: result.missing, failed: result.failed,
    failedKeys: result.failedKeys.map((k) => ({ provider: k.provider, subject: k.subject })) },
  () => `Re-encrypted ${result.reencrypted} of ${result.scanned} records under ${result.keyId} (${result.skipped} already were${result.failed ? `, ${result.failed} failed` : ''}).`);
  if (result.failed > 0) {
    throw new CliError(ExitCode.CHECK_FAILED, 'ROTATION_INCOMPLETE', `${result.failed} record(s) could not be re-encrypted`, 'keep the old key listed, fix the cause and run `authmanager keys rotate` again');
  }
}
