// Internals shared by the redis-server, PostgreSQL and MariaDB harnesses: run a program (as a given
// system user when this process is root), collect its output, signal and stop it, find free ports
// and programs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export const HOST = '127.0.0.1';

/** A spawned program. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** The last 8 KiB of stdout and stderr, for error messages. */
  output(): string;
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** SIGTERM (and SIGCONT, in case it is stopped), SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves on exit. */
  kill(): Promise<void>;
  /** Send `signal` unless the process has exited. */
  signal(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Whether this process runs as root (then the servers run as their system user, `runAs`). */
export const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Start `command` with `args`; as root, through `runuser -u <runAs> --` (PostgreSQL's initdb and
 * postgres refuse to run as root), in `cwd` (that user must be able to enter it). The process is SIGKILLed should this Node process exit first.
 */
export function startProcess(command: string, args: readonly string[], runAs?: string, cwd?: string): ManagedProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => { for (const child of running) child.kill('SIGKILL'); });
  }
  const [file, argv] = runAs !== undefined && isRoot()
    ? ['runuser', ['-u', runAs, '--', command, ...args]]
    : [command, [...args]];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => { output = (output + chunk.toString('utf8')).slice(-8192); };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    const done = (): void => { exited = true; running.delete(child); resolve(); };
    child.once('exit', done);
    child.once('error', (err) => { output += `\n${String(err)}`; done(); });
  });
  return {
    child,
    output: () => output,
    exited: exitedPromise,
    hasExited: () => exited,
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.kill('SIGTERM');
      // A stopped (SIGSTOP) process acts on SIGTERM only once continued.
      child.kill('SIGCONT');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitedPromise;
      clearTimeout(killTimer);
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exitedPromise;
    },
    signal(signal) {
      if (!exited) child.kill(signal);
    },
  };
}

/** Run a program to completion; rejects with its output when it exits non-zero or outlives `timeoutMs`. */
export async function runToCompletion(command: string, args: readonly string[], options: { runAs?: string; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const proc = startProcess(command, args, options.runAs, options.cwd);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  await proc.exited;
  clearTimeout(timer);
  if (proc.child.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${String(proc.child.exitCode ?? proc.child.signalCode)}):\n${proc.output()}`);
  }
  return proc.output();
}

/** A port the OS just handed out for 127.0.0.1 (free at that instant). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/** Give `dir` to the system user `user` when running as root (the server writes there). */
export async function handOver(dir: string, user: string): Promise<void> {
  if (!isRoot()) return;
  const { uid, gid } = systemUser(user);
  await chown(dir, uid, gid);
}

function systemUser(user: string): { uid: number; gid: number } {
  if (userInfo().username === user) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  // /etc/passwd: name:x:uid:gid:...
  const line = readPasswd().find((l) => l.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(`no system user "${user}": is its server package installed?`);
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function readPasswd(): string[] {
  return readFileSync('/etc/passwd', 'utf8').split('\n');
}

/**
 * The first directory of `candidates` (then of `PATH`) holding `program`.
 * @throws Error naming the Debian package to install
 */
export function findProgram(program: string, candidates: readonly string[], debianPackage: string): string {
  const path = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const dir of [...candidates, ...path]) {
    const file = join(dir, program);
    if (existsSync(file)) return file;
  }
  throw new Error(`${program} not found: install it (Debian: apt-get install -y ${debianPackage})`);
}

/** `/usr/lib/postgresql/<major>/bin` directories, newest major first (Debian's layout). */
export function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)).map((v) => join(root, v, 'bin'));
}
