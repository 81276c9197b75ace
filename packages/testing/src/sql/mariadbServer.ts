import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST, findProgram, freePort, handOver, isRoot, runToCompletion, startProcess, type ManagedProcess } from '../serverProcess.js';

/** Options for {@link startMariaDbServer}. */
export interface MariaDbServerOptions {
  /** Extra `mariadbd` arguments, appended after the defaults, e.g. `['--max-connections=300']`. @default [] */
  readonly args?: readonly string[];
  /** Give up when the server is not ready within this many milliseconds. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** A running MariaDB server started by {@link startMariaDbServer}. */
export interface MariaDbServerHandle {
  /** `mysql://test@127.0.0.1:<port>/authmanager` (no password). */
  readonly url: string;
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port (the same across {@link MariaDbServerHandle.restart}). */
  readonly port: number;
  /** The user of {@link url}, `test` (all privileges). */
  readonly user: string;
  /** The database of {@link url}, `authmanager`. */
  readonly database: string;
  /** The temporary directory with `data/`, the socket and the pid file. */
  readonly dir: string;
  /** Crash the server (SIGKILL): InnoDB recovers every committed transaction on restart. Idempotent. */
  kill(): Promise<void>;
  /** Start it again on the same port and data directory (stopping it first with SIGTERM if it runs). */
  restart(): Promise<void>;
  /** Stop it (SIGTERM, a clean shutdown) and remove its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Start a real, throw-away MariaDB server (Debian's `mariadb-server`): `mariadb-install-db` into a
 * temporary directory, then `mariadbd --no-defaults --port=<free> --bind-address=127.0.0.1
 * --skip-name-resolve` (as root, as the `mysql` system user), and, over its socket, a database
 * `authmanager` and a user `test` with all privileges. About 3 s. Never uses the system service.
 * The server is killed when this Node process exits, should `stop()` never be called.
 *
 * @param options - extra server arguments and timeout: see {@link MariaDbServerOptions}
 * @returns the server's URL, and `kill()` / `restart()` / `stop()`
 * @throws Error when a program is missing or fails, naming the package to install
 *
 * @example
 * ```ts
 * const maria = await startMariaDbServer();
 * try {
 *   // mysql2.createPool({ uri: maria.url }) ...
 * } finally {
 *   await maria.stop();
 * }
 * ```
 */
export async function startMariaDbServer(options: MariaDbServerOptions = {}): Promise<MariaDbServerHandle> {
  const sbin = ['/usr/sbin', '/usr/bin'];
  const installDb = findProgram('mariadb-install-db', sbin, 'mariadb-server');
  const mariadbd = findProgram('mariadbd', sbin, 'mariadb-server');
  const client = findProgram('mariadb', sbin, 'mariadb-client');
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'authmanager-maria-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'sock');
  const runAs = isRoot() ? 'mysql' : undefined;
  let port = 0;
  let server: ManagedProcess | undefined;

  const start = async (): Promise<void> => {
    server = startProcess(mariadbd, [
      // As root, mariadbd drops to `--user` itself (through runuser, a SIGKILL would hit runuser only).
      '--no-defaults', ...(runAs ? [`--user=${runAs}`] : []), `--datadir=${data}`, `--port=${port}`, `--bind-address=${HOST}`, `--socket=${socket}`,
      `--pid-file=${join(dir, 'pid')}`, '--skip-name-resolve', '--skip-log-bin', '--innodb-buffer-pool-size=64M',
      ...(options.args ?? []),
    ], undefined, dir);
    const deadline = Date.now() + startTimeoutMs;
    // mariadbd prints "ready for connections" once it accepts them (after InnoDB recovery).
    while (!/ready for connections/.test(server.output())) {
      if (server.hasExited()) throw new Error(`mariadbd on port ${port} exited during start:\n${server.output()}`);
      if (Date.now() > deadline) throw new Error(`mariadbd on port ${port} not ready within ${startTimeoutMs} ms:\n${server.output()}`);
      await sleep(25);
    }
  };

  try {
    await handOver(dir, 'mysql');
    await runToCompletion(installDb, [
      '--no-defaults', ...(runAs ? [`--user=${runAs}`] : []), `--datadir=${data}`,
      '--auth-root-authentication-method=normal', '--skip-test-db',
    ], { cwd: dir });
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (err) {
        await server?.kill();
        if (attempt >= 3) throw err;
      }
    }
    await runToCompletion(client, [`--socket=${socket}`, '-uroot', '-e',
      "DROP USER IF EXISTS ''@'localhost'; CREATE DATABASE authmanager; CREATE USER 'test'@'%'; GRANT ALL PRIVILEGES ON *.* TO 'test'@'%';"]);
  } catch (err) {
    await server?.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  let removed = false;
  return {
    url: `mysql://test@${HOST}:${port}/authmanager`,
    host: HOST,
    port,
    user: 'test',
    database: 'authmanager',
    dir,
    async kill() {
      await server?.kill();
    },
    async restart() {
      if (removed) throw new Error('the MariaDB server was stopped and its directory removed');
      await server?.stop(30_000);
      await start();
    },
    async stop() {
      await server?.stop(30_000);
      if (!removed) {
        removed = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
