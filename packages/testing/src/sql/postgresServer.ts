import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST, findProgram, freePort, handOver, postgresBinDirs, runToCompletion } from '../serverProcess.js';

/** Options for {@link startPostgresServer}. */
export interface PostgresServerOptions {
  /**
   * Directory holding `initdb`, `pg_ctl` and `postgres`.
   * @default the newest `/usr/lib/postgresql/<major>/bin` (Debian's `postgresql`), else `PATH`
   */
  readonly binDir?: string;
  /** Extra server settings, each passed as `-c name=value`, e.g. `{ max_connections: '200' }`. @default {} */
  readonly settings?: Readonly<Record<string, string>>;
  /** Give up when the server does not accept connections within this many milliseconds. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** A running PostgreSQL server started by {@link startPostgresServer}. */
export interface PostgresServerHandle {
  /** `postgres://test@127.0.0.1:<port>/postgres` (trust authentication: no password). */
  readonly url: string;
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port (the same across {@link PostgresServerHandle.restart}). */
  readonly port: number;
  /** The superuser, `test`. */
  readonly user: string;
  /** The database of {@link url}, `postgres`. */
  readonly database: string;
  /** The temporary directory with the cluster (`data/`), its socket and `log`. */
  readonly dir: string;
  /**
   * Crash the server: `pg_ctl stop -m immediate` (SIGQUIT: no checkpoint, connections cut). A
   * later {@link PostgresServerHandle.restart} runs crash recovery from the WAL, so every committed
   * transaction is back. Idempotent.
   */
  kill(): Promise<void>;
  /** Start it again on the same port and data directory (stopping it first with `-m fast` if it runs). */
  restart(): Promise<void>;
  /** Stop it (`pg_ctl stop -m fast`) and remove its directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Map<string, string>(); // data dir -> pg_ctl path
let exitHookInstalled = false;

/**
 * Start a real, throw-away PostgreSQL server (Debian's `postgresql`): a new cluster made with
 * `initdb -A trust -U test -E UTF8` in a temporary directory, started with
 * `pg_ctl start -w -o "-p <free port> -k <dir> -c listen_addresses=127.0.0.1"`. As root, both run
 * as the `postgres` system user (they refuse root). About 1.5 s. The server is stopped
 * (`-m immediate`) when this Node process exits, should `stop()` never be called.
 *
 * @param options - binaries, settings, timeout: see {@link PostgresServerOptions}
 * @returns the server's URL, and `kill()` / `restart()` / `stop()`
 * @throws Error when `initdb` or `pg_ctl` is missing or fails, naming the package to install
 *
 * @example
 * ```ts
 * const pg = await startPostgresServer();
 * try {
 *   // new pg.Pool({ connectionString: pg.url }) ...
 *   await pg.kill();     // a crash
 *   await pg.restart();  // crash recovery; committed data is back
 * } finally {
 *   await pg.stop();
 * }
 * ```
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServerHandle> {
  const candidates = options.binDir !== undefined ? [options.binDir] : postgresBinDirs();
  const initdb = findProgram('initdb', candidates, 'postgresql');
  const pgCtl = findProgram('pg_ctl', candidates, 'postgresql');
  const startTimeoutS = String(Math.ceil((options.startTimeoutMs ?? 30_000) / 1000));
  const dir = await mkdtemp(join(tmpdir(), 'authmanager-pg-'));
  const data = join(dir, 'data');
  const user = 'test';
  let port = 0;
  let up = false;
  const settings = Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`).join(' ');
  const ctl = (args: readonly string[]): Promise<string> =>
    runToCompletion(pgCtl, ['-D', data, ...args], { runAs: 'postgres', cwd: dir, timeoutMs: 60_000 });

  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const [dataDir, ctlPath] of running) {
        spawnSync(process.getuid?.() === 0 ? 'runuser' : ctlPath,
          [...(process.getuid?.() === 0 ? ['-u', 'postgres', '--', ctlPath] : []), '-D', dataDir, '-m', 'immediate', 'stop']);
      }
    });
  }

  const start = async (): Promise<void> => {
    await ctl(['-w', '-t', startTimeoutS, '-l', join(dir, 'log'), '-o',
      `-p ${port} -k ${dir} -c listen_addresses=${HOST} ${settings}`.trim(), 'start']);
    up = true;
    running.set(data, pgCtl);
  };
  const stopWith = async (mode: 'fast' | 'immediate'): Promise<void> => {
    if (!up) return;
    await ctl(['-w', '-m', mode, 'stop']);
    up = false;
    running.delete(data);
  };

  try {
    await handOver(dir, 'postgres');
    await runToCompletion(initdb, ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8', '--no-sync'], { runAs: 'postgres', cwd: dir });
    // A port found free can be taken before postgres binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  } catch (err) {
    await stopWith('immediate').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  let removed = false;
  return {
    url: `postgres://${user}@${HOST}:${port}/postgres`,
    host: HOST,
    port,
    user,
    database: 'postgres',
    dir,
    kill: () => stopWith('immediate'),
    async restart() {
      if (removed) throw new Error('the PostgreSQL server was stopped and its directory removed');
      await stopWith('fast');
      await start();
    },
    async stop() {
      await stopWith('fast');
      if (!removed) {
        removed = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
