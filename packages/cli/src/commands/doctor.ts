import { statSync } from 'node:fs';
import type { CredentialStore } from '@authmanager/core';
import type { CommandContext } from '../Context.js';
import { describeError } from '../describeError.js';
import { CliError, ExitCode } from '../ExitCode.js';
import { planLoopback } from '../loopback.js';
import { localPaths } from '../paths.js';
import { configuredRedirectUri } from './connect.js';
import { rememberedSandboxIssuer } from '../config.js';

/** One line of `authmanager doctor`. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly hint?: string;
}

/** The oldest Node the CLI supports (`node:sqlite` without a flag, `require(esm)`). */
const MIN_NODE = [22, 12] as const;

interface KeyProviderLike {
  readonly keyId?: string;
  generateDataKey(context: Record<string, string>): Promise<{ keyId: string; plaintextKey: Uint8Array; wrappedKey: Uint8Array }>;
  decryptDataKey(keyId: string, wrappedKey: Buffer, context: Record<string, string>): Promise<Uint8Array>;
}

function keyProviderOf(store: CredentialStore): KeyProviderLike | undefined {
  const kp = (store as { keyProvider?: KeyProviderLike }).keyProvider;
  return kp && typeof kp.generateDataKey === 'function' ? kp : undefined;
}

async function check(name: string, run: () => Promise<string> | string): Promise<Check> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (err) {
    const d = describeError(err);
    return { name, ok: false, detail: d.message, ...(d.hint ? { hint: d.hint } : {}) };
  }
}

/**
 * `authmanager doctor`: one line per check: Node version, config, each provider's app credentials
 * and redirect URI, the store, the encryption key, the local key file's mode.
 */
export async function doctor(ctx: CommandContext): Promise<void> {
  const checks: Check[] = [];
  checks.push(await check('node', () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
      throw new CliError(ExitCode.CHECK_FAILED, 'NODE_TOO_OLD', `Node ${process.versions.node} is older than ${MIN_NODE.join('.')}`, 'install Node 22.12 or later (24 LTS recommended)');
    }
    return `Node ${process.versions.node}`;
  }));
  const config = await check('config', async () => {
    const loaded = await ctx.config();
    return loaded.path ?? 'no config file: the built-in sandbox provider and the local store';
  });
  checks.push(config);
  const loaded = ctx.loaded;
  if (config.ok && loaded) {
    const { auth } = loaded;
    for (const id of auth.providerIds) {
      const handle = auth.provider(id);
      checks.push(await check(`${id}: app credentials`, () => {
        if (loaded.zeroConfig && id === 'sandbox' && !ctx.io.env.SANDBOX_ISSUER && !rememberedSandboxIssuer(ctx.configDir, ctx.io.env)) {
          return 'none needed: `authmanager connect sandbox` starts a built-in sandbox';
        }
        handle.app();
        const missing = handle.missingForOAuth();
        if (missing.length > 0 && handle.definition.oauth2) {
          throw new CliError(ExitCode.CONFIGURATION, 'CONFIGURATION', `${missing.map((m) => m.field).join(', ')} not set`, `set ${missing.map((m) => m.env.join(' or ') || m.field).join('; ')}`);
        }
        return handle.definition.oauth2 ? 'client id and secret set' : 'set (no OAuth flow)';
      }));
      if (handle.definition.oauth2) {
        checks.push(await check(`${id}: redirect URI`, () => {
          const plan = planLoopback(id, configuredRedirectUri(auth, id));
          return `register ${plan.registered} for the CLI`;
        }));
      }
    }
    checks.push(await check('store', async () => {
      await auth.store.get({ kind: 'pending', provider: 'doctor', subject: 'doctor' });
      let records = 0;
      for await (const _ of auth.store.list({ kind: 'credentials' })) records += 1;
      return `${auth.store.constructor.name} reachable, ${records} credential record(s)${loaded.localStore ? ` in ${localPaths(ctx.configDir).database}` : ''}`;
    }));
    const keyProvider = keyProviderOf(auth.store);
    checks.push(await check('encryption key', async () => {
      if (!keyProvider) {
        throw new CliError(ExitCode.CHECK_FAILED, 'NOT_ENCRYPTED', 'the store is not encrypted', 'wrap it in KmsEncryptedCredentialStore (@authmanager/store-kms)');
      }
      const context = { 'authmanager-doctor': 'probe' };
      const key = await keyProvider.generateDataKey(context);
      const back = await keyProvider.decryptDataKey(key.keyId, Buffer.from(key.wrappedKey), context);
      if (Buffer.compare(Buffer.from(back), Buffer.from(key.plaintextKey)) !== 0) throw new Error('the key provider unwrapped another key');
      return `${key.keyId} wraps and unwraps`;
    }));
    if (loaded.localStore) {
      checks.push(await check('local key file', () => {
        const path = localPaths(ctx.configDir).key;
        const mode = statSync(path).mode & 0o777;
        if ((mode & 0o077) !== 0) {
          throw new CliError(ExitCode.CHECK_FAILED, 'KEY_FILE_MODE', `${path} has mode 0${mode.toString(8)}: others can read it`, `chmod 600 ${path}`);
        }
        return `${path} (mode 0${mode.toString(8)})`;
      }));
    }
  }
  const failed = checks.filter((c) => !c.ok);
  const { out } = ctx;
  out.result({ ok: failed.length === 0, checks }, () => checks.map((c) =>
    `${c.ok ? out.color.green('✓') : out.color.red('✗')} ${c.name}: ${c.detail}${c.hint ? out.color.dim(` (${c.hint})`) : ''}`).join('\n'));
  if (failed.length > 0) {
    throw new CliError(ExitCode.CHECK_FAILED, 'CHECK_FAILED', `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`, 'fix them as shown above');
  }
}
