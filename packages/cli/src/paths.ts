import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The CLI's directory under the user's config directory: `$AUTHMANAGER_HOME` when set, else
 * `$XDG_CONFIG_HOME/authmanager` or `~/.config/authmanager` (Linux and other Unix),
 * `~/Library/Application Support/authmanager` (macOS), `%APPDATA%\authmanager` (Windows).
 * @param env - the environment to read
 * @returns an absolute path (not created here)
 */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AUTHMANAGER_HOME) return env.AUTHMANAGER_HOME;
  const home = env.HOME ?? homedir();
  if (process.platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'authmanager');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'authmanager');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'authmanager');
}

/** The files of the local store under {@link userConfigDir}. */
export interface LocalPaths {
  readonly dir: string;
  /** The SQLite database (`credentials.db`). */
  readonly database: string;
  /** The current local master key (`local.key`, base64 of 32 bytes, mode 0600). */
  readonly key: string;
  /** Earlier keys after `keys rotate` (`keys/<key id>.key`). */
  readonly previousKeysDir: string;
  /** Where the built-in sandbox's issuer is remembered (`sandbox.json`). */
  readonly sandbox: string;
}

/** Paths of the local store in `dir`. */
export function localPaths(dir: string): LocalPaths {
  return {
    dir,
    database: join(dir, 'credentials.db'),
    key: join(dir, 'local.key'),
    previousKeysDir: join(dir, 'keys'),
    sandbox: join(dir, 'sandbox.json'),
  };
}
