import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (tests run it as a child process, as a user would). */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const PACKAGE_NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');

/** A throw-away HOME and project directory (with the package's node_modules linked, so a config file can import @authmanager/*). */
export interface Workspace {
  readonly home: string;
  readonly project: string;
  /** `$HOME/.config/authmanager`, where the local store lives. */
  readonly configDir: string;
  readonly env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** Makes a {@link Workspace}. The child environment holds PATH and HOME only (no SANDBOX_*, no DISPLAY). */
export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'authmanager-cli-'));
  const home = join(root, 'home');
  const project = join(root, 'project');
  await import('node:fs/promises').then((fs) => Promise.all([fs.mkdir(home), fs.mkdir(project)]));
  await symlink(PACKAGE_NODE_MODULES, join(project, 'node_modules'), 'dir');
  return {
    home, project, configDir: join(home, '.config', 'authmanager'),
    env: { PATH: process.env.PATH ?? '', HOME: home, LANG: 'C.UTF-8' },
    // A shell or CLI that tmux's kill-server just hung up may still write into home (bash history):
    // retry on ENOTEMPTY rather than fail the suite.
    cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
}

/** Writes `authmanager.config.ts` in the project: the sandbox provider at `issuer`, the local store. */
export async function writeSandboxConfig(ws: Workspace, issuer: string, redirectUri: string): Promise<void> {
  await writeFile(join(ws.project, 'authmanager.config.ts'), `import { sandbox } from '@authmanager/testing';
import type { AuthManagerOptions, ProviderRegistration } from '@authmanager/core';

const options: AuthManagerOptions<readonly ProviderRegistration[]> = {
  providers: [sandbox({ issuer: ${JSON.stringify(issuer)}, redirectUri: ${JSON.stringify(redirectUri)} })],
};
export default options;
`);
}

/** What a finished run printed. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running CLI process. */
export interface Running {
  readonly child: ChildProcess;
  /** Resolves with the first match of `pattern` in stderr so far or to come. */
  stderrMatch(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  readonly done: Promise<RunResult>;
}

/** Starts `authmanager …args` in `ws.project` with `ws.env` (plus `env`). */
export function start(ws: Workspace, args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ws.project, env: { ...ws.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); for (const w of waiters) w(); });
  const done = new Promise<RunResult>((resolve) => { child.on('close', (code) => { for (const w of waiters) w(); resolve({ code, stdout, stderr }); }); });
  return {
    child, done,
    stderrMatch: (pattern, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no ${pattern} in stderr within ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
      const check = (): void => {
        const m = pattern.exec(stderr);
        if (m) { clearTimeout(timer); waiters.delete(check); resolve(m); }
        else if (child.exitCode !== null) { clearTimeout(timer); waiters.delete(check); reject(new Error(`exited ${child.exitCode} before ${pattern}: ${stderr}`)); }
      };
      waiters.add(check);
      check();
    }),
  };
}

/** Runs `authmanager …args` to the end. */
export function run(ws: Workspace, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return start(ws, args, env).done;
}

/** The authorization URL `connect` printed (on stderr, one per line; a JSON line with --json). */
export async function authorizationUrl(running: Running): Promise<URL> {
  const m = await running.stderrMatch(/(http:\/\/127\.0\.0\.1:\d+\/auth\?[^\s"]+)/);
  return new URL(m[1]!);
}
