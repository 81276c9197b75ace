import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuthManager, type AuthManagerOptions, type CredentialStore, type ProviderRegistration } from '@authmanager/core';
import { CliError, ExitCode } from './ExitCode.js';
import { openLocalStore } from './localStore.js';
import { localPaths } from './paths.js';
import { loadSandbox, withoutRuntimeNotice } from './quiet.js';

/** Config file names looked for, in this order, in the working directory and each parent. */
export const CONFIG_FILE_NAMES = ['authmanager.config.ts', 'authmanager.config.mts', 'authmanager.config.mjs', 'authmanager.config.js', 'authmanager.config.cjs'] as const;

/**
 * What a config file may export (as `default`, or as a named export `auth`): an `AuthManager`, its
 * options, or a function (async or not) returning either. Options without a `store` get the local
 * store (an encrypted SQLite file under the user's config directory), so credentials outlive the
 * command.
 * @example
 * ```ts
 * // authmanager.config.ts
 * import { github } from '@authmanager/provider-github';
 * export default { providers: [github()] };
 * ```
 */
export type ConfigExport =
  | AuthManager
  | AuthManagerOptions<readonly ProviderRegistration[]>
  | (() => AuthManager | AuthManagerOptions<readonly ProviderRegistration[]> | Promise<AuthManager | AuthManagerOptions<readonly ProviderRegistration[]>>);

/** A loaded configuration: the manager and where it came from. */
export interface LoadedConfig {
  readonly auth: AuthManager;
  /** The config file, or `undefined` without one (the sandbox and the local store). */
  readonly path: string | undefined;
  /** Whether the local store is in use (no config file, or one whose options name no store). */
  readonly localStore: boolean;
  /** Whether this is the built-in first-try configuration (no config file). */
  readonly zeroConfig: boolean;
}

/**
 * The config file for `cwd`: `explicit` (resolved against `cwd`) when given, else the first of
 * {@link CONFIG_FILE_NAMES} in `cwd` or its nearest parent that has one.
 * @throws CliError `CONFIGURATION` when `explicit` does not exist
 */
export function findConfigFile(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new CliError(ExitCode.CONFIGURATION, 'CONFIG_NOT_FOUND', `config file ${path} does not exist`, 'check the --config path');
    return path;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILE_NAMES) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Imports a config file. TypeScript goes through jiti (no build step, every TypeScript syntax,
 * ESM and CommonJS alike, on every Node the CLI supports); JavaScript through Node's own `import()`.
 * @throws CliError `CONFIGURATION` naming the file when it fails to load
 */
export async function importConfigFile(path: string): Promise<Record<string, unknown>> {
  try {
    if (['.ts', '.mts', '.cts'].includes(extname(path))) {
      const { createJiti } = await import('jiti');
      const jiti = createJiti(pathToFileURL(path).href, { moduleCache: false, fsCache: false });
      return await withoutRuntimeNotice(() => jiti.import(path)) as Record<string, unknown>;
    }
    return await withoutRuntimeNotice(() => import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0];
    throw new CliError(ExitCode.CONFIGURATION, 'CONFIG_LOAD_FAILED', `${path} failed to load: ${first}`, 'fix the error in the config file, or run `authmanager doctor`', { cause: err });
  }
}

function isManager(value: unknown): value is AuthManager {
  return typeof value === 'object' && value !== null && Array.isArray((value as AuthManager).providerIds)
    && typeof (value as AuthManager).session === 'function' && typeof (value as AuthManager).completeAuthorization === 'function';
}

function isOptions(value: unknown): value is AuthManagerOptions<readonly ProviderRegistration[]> {
  return typeof value === 'object' && value !== null && Array.isArray((value as { providers?: unknown }).providers);
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory the search starts in. */
  readonly cwd: string;
  /** `--config`. */
  readonly configPath?: string | undefined;
  /** The user's config directory (see `userConfigDir`). */
  readonly configDir: string;
  /** Environment (for `SANDBOX_ISSUER`). */
  readonly env: NodeJS.ProcessEnv;
  /** The built-in sandbox's issuer, when `connect` has just started one. */
  readonly sandboxIssuer?: string;
}

/**
 * The issuer of the sandbox provider in the first-try configuration: `SANDBOX_ISSUER`, else the
 * one the last `connect` started (remembered in `sandbox.json`).
 */
export function rememberedSandboxIssuer(configDir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.SANDBOX_ISSUER) return env.SANDBOX_ISSUER;
  try {
    const saved = JSON.parse(readFileSync(localPaths(configDir).sandbox, 'utf8')) as { issuer?: unknown };
    return typeof saved.issuer === 'string' ? saved.issuer : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads the configuration: the config file's manager (or one built from its options), or, with no
 * config file, the first-try configuration: the sandbox provider and the local store.
 * @throws CliError `CONFIGURATION` when the file fails to load or exports neither a manager nor options
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const path = findConfigFile(options.cwd, options.configPath);
  if (path === undefined) {
    const store = await openLocalStore(options.configDir);
    const { sandbox } = await loadSandbox();
    const issuer = options.sandboxIssuer ?? rememberedSandboxIssuer(options.configDir, options.env);
    const auth = new AuthManager({ providers: [sandbox(issuer ? { issuer } : {})], store }) as unknown as AuthManager;
    return { auth, path: undefined, localStore: true, zeroConfig: true };
  }
  const mod = await importConfigFile(path);
  let value: unknown = mod.default ?? mod.auth;
  // jiti and CommonJS interop may nest the default export once more.
  if (value && typeof value === 'object' && 'default' in value && !isManager(value) && !isOptions(value)) value = (value as { default: unknown }).default;
  try {
    if (typeof value === 'function') value = await (value as () => unknown)();
  } catch (err) {
    throw new CliError(ExitCode.CONFIGURATION, 'CONFIG_LOAD_FAILED', `${path}: the exported function threw: ${String((err as Error)?.message ?? err).split('\n')[0]}`, 'fix the config file', { cause: err });
  }
  if (isManager(value)) return { auth: value, path, localStore: false, zeroConfig: false };
  if (isOptions(value)) {
    let store: CredentialStore | undefined = value.store;
    const localStore = store === undefined;
    store ??= await openLocalStore(options.configDir);
    try {
      return { auth: new AuthManager({ ...value, store }) as unknown as AuthManager, path, localStore, zeroConfig: false };
    } catch (err) {
      throw new CliError(ExitCode.CONFIGURATION, 'CONFIG_INVALID', `${path}: ${String((err as Error)?.message ?? err)}`, 'fix the providers in the config file', { cause: err });
    }
  }
  throw new CliError(ExitCode.CONFIGURATION, 'CONFIG_INVALID', `${path} exports neither an AuthManager nor its options`,
    'export default new AuthManager({ providers: [...] }) or export default { providers: [...] }');
}
