import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { HOST, freePort, runToCompletion, startProcess, type ManagedProcess } from '../serverProcess.js';

/** How long a stopping redis-server gets before SIGKILL, milliseconds. */
const STOP_GRACE_MS = 5000;

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /**
   * Extra command-line arguments for `redis-server`, appended after the defaults, e.g.
   * `['--rename-command', 'KEYS', '']` to make any use of `KEYS` fail.
   * @default []
   */
  readonly args?: readonly string[];
  /** The `redis-server` executable. @default 'redis-server' (from `PATH`) */
  readonly redisServerPath?: string;
  /** Give up when the server does not answer `PING` within this many milliseconds. @default 10000 */
  readonly startTimeoutMs?: number;
  /**
   * Persist every write in an append-only file before replying (`--appendonly yes
   * --appendfsync always`), so an acknowledged write survives {@link RedisServerHandle.kill} and
   * {@link RedisServerHandle.restart}. Off: the server keeps nothing on disk (`--appendonly no`).
   * @default false
   */
  readonly appendOnly?: boolean;
  /**
   * The server's working directory (`--dir`; with {@link appendOnly}, the AOF goes to its
   * `appendonlydir/`). It must exist; it stays yours: `stop()` leaves it in place. Without it the
   * server gets a temporary directory that `stop()` removes.
   * @default a new directory under the OS temporary directory
   */
  readonly dir?: string;
}

/** A running `redis-server` started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port it listens on (stays the same across {@link RedisServerHandle.restart}). */
  readonly port: number;
  /** The working directory (`--dir`): {@link RedisServerOptions.dir} or a temporary one. */
  readonly dir: string;
  /**
   * Stop the server (SIGTERM, then SIGKILL after 5 s; a paused server is resumed first) and remove
   * its working directory unless it was given as {@link RedisServerOptions.dir}. Idempotent;
   * {@link RedisServerHandle.restart} can start it again. Call it at the end even after
   * {@link RedisServerHandle.kill}, so the temporary directory goes too.
   */
  stop(): Promise<void>;
  /**
   * Crash the server: SIGKILL, resolving once the process has exited. Nothing is flushed; only what
   * the append-only file already holds ({@link RedisServerOptions.appendOnly}) survives. The
   * working directory stays, so {@link RedisServerHandle.restart} brings the data back. Clients see
   * the connection drop and then "connection refused" until the restart. Idempotent.
   */
  kill(): Promise<void>;
  /**
   * Freeze the server (SIGSTOP): connections stay open but nothing is answered, as with a hung
   * server or a black-holed network. {@link RedisServerHandle.resume} continues it (and `stop()`
   * and `kill()` work on a paused server).
   */
  pause(): void;
  /** Continue a server frozen by {@link RedisServerHandle.pause} (SIGCONT); a no-op otherwise. */
  resume(): void;
  /**
   * Start it again on the same port, after {@link RedisServerHandle.stop} or
   * {@link RedisServerHandle.kill} (stops it first with SIGTERM if it is still running), and wait
   * until it answers `PING` (which Redis does only once it has loaded its append-only file).
   * Data is kept only with {@link RedisServerOptions.appendOnly} and a working directory that is
   * still there: after `kill()` or a running server's `restart()`, or after `stop()` with a
   * {@link RedisServerOptions.dir} of your own. Otherwise the server starts empty.
   * @throws Error when it does not come back within `startTimeoutMs` (e.g. the port was taken meanwhile)
   */
  restart(): Promise<void>;
}

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Number of master nodes (one replica-less shard each). @default 3 */
  readonly masters?: number;
  /** The `redis-server` executable. @default 'redis-server' */
  readonly redisServerPath?: string;
  /** The `redis-cli` executable, used for `--cluster create`. @default 'redis-cli' */
  readonly redisCliPath?: string;
  /** Give up when the cluster is not `cluster_state:ok` on every node within this many milliseconds. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** A running Redis Cluster started by {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** The master nodes, e.g. to pass to `new Cluster(nodes)` of ioredis. */
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** Stop every node and remove their working directories. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Start a real, throw-away `redis-server` on a free loopback port:
 * `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no`, in a temporary
 * working directory, and wait until it answers `PING`. With `appendOnly: true` it runs with
 * `--appendonly yes --appendfsync always` instead, so `kill()` (SIGKILL) then `restart()` on the
 * same port brings back every acknowledged write.
 *
 * Needs `redis-server` installed (`apt-get install -y redis-server`). The process is killed when
 * this Node process exits, should `stop()` never be called.
 *
 * @param options - extra arguments and timeouts, see {@link RedisServerOptions}
 * @returns the server's URL and port, and `stop()` / `restart()`
 * @throws Error when the server exits early or does not answer within `startTimeoutMs`
 *
 * @example
 * ```ts
 * const server = await startRedisServer({ args: ['--rename-command', 'KEYS', ''] });
 * try {
 *   // new Redis(server.url) ...
 * } finally {
 *   await server.stop();
 * }
 * ```
 *
 * @example A crash and a restart on the same port, with the data kept
 * ```ts
 * const server = await startRedisServer({ appendOnly: true });
 * // ... write through a client of server.url
 * await server.kill();    // SIGKILL: clients get "connection refused"
 * await server.restart(); // same port, the AOF is replayed
 * await server.stop();    // and the temporary directory is removed
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const executable = options.redisServerPath ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const ownDir = options.dir === undefined;
  const newDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'authmanager-redis-'));
  let dir = options.dir ?? await newDir();
  const persistence = options.appendOnly === true
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  let port = 0;
  let child: ManagedProcess | undefined;

  const launch = async (): Promise<void> => {
    child = startProcess(executable, [
      '--port', String(port), '--bind', HOST, '--save', '', ...persistence, '--dir', dir,
      '--daemonize', 'no', '--protected-mode', 'no', ...(options.args ?? []),
    ]);
    await waitUntilReady(child, port, startTimeoutMs);
  };

  // A port found free can be taken before redis-server binds it: try a few times.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      await child?.stop(STOP_GRACE_MS);
      if (attempt >= 3) {
        if (ownDir) await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  let dirRemoved = false;
  return {
    url: `redis://${HOST}:${port}`,
    host: HOST,
    port,
    get dir() { return dir; },
    async stop() {
      await child?.stop(STOP_GRACE_MS);
      if (ownDir && !dirRemoved) {
        dirRemoved = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
    async kill() {
      await child?.kill();
    },
    pause() {
      child?.signal('SIGSTOP');
    },
    resume() {
      child?.signal('SIGCONT');
    },
    async restart() {
      await child?.stop(STOP_GRACE_MS);
      if (dirRemoved) {
        dir = await newDir();
        dirRemoved = false;
      }
      await launch();
    },
  };
}

/**
 * Start a real Redis Cluster of `masters` (default 3) replica-less nodes on free loopback ports:
 * each `redis-server --cluster-enabled yes --cluster-node-timeout 2000 --cluster-config-file …`
 * in its own temporary directory, then
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`, then wait until
 * `CLUSTER INFO` reports `cluster_state:ok` with all 16384 slots assigned on every node (about 2 s).
 *
 * Start it once per test run (a jest `globalSetup`), not per test file. Each node also uses the
 * cluster bus port `port + 10000`, which is checked to be free as well.
 *
 * @returns the master nodes and `stop()`
 * @throws Error when a node does not start, `redis-cli --cluster create` fails, or the cluster is
 *   not ok within `startTimeoutMs`
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster();
 * try {
 *   // new Cluster(cluster.nodes.map(({ host, port }) => ({ host, port }))) ...
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const executable = options.redisServerPath ?? 'redis-server';
  const cli = options.redisCliPath ?? 'redis-cli';
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  const started: Array<{ port: number; dir: string; process: ManagedProcess }> = [];

  const stop = async (): Promise<void> => {
    const all = started.splice(0);
    await Promise.all(all.map(async (node) => {
      await node.process.stop(STOP_GRACE_MS);
      await rm(node.dir, { recursive: true, force: true });
    }));
  };

  try {
    const taken = new Set<number>();
    for (let i = 0; i < masters; i++) {
      for (let attempt = 1; ; attempt++) {
        const port = await freeClusterPort(taken);
        const dir = await mkdtemp(join(tmpdir(), 'authmanager-redis-cluster-'));
        const child = startProcess(executable, [
          '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir,
          '--daemonize', 'no', '--protected-mode', 'no',
          '--cluster-enabled', 'yes', '--cluster-node-timeout', '2000',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        ]);
        try {
          await waitUntilReady(child, port, Math.max(1, deadline - Date.now()));
          taken.add(port);
          started.push({ port, dir, process: child });
          break;
        } catch (err) {
          await child.stop(STOP_GRACE_MS);
          await rm(dir, { recursive: true, force: true });
          if (attempt >= 3) throw err;
        }
      }
    }

    await runToCompletion(cli, [
      '--cluster', 'create', ...started.map((node) => `${HOST}:${node.port}`),
      '--cluster-replicas', '0', '--cluster-yes',
    ], { timeoutMs: Math.max(1, deadline - Date.now()) });

    for (;;) {
      const infos = await Promise.all(started.map((node) =>
        redisCommand(node.port, ['CLUSTER', 'INFO']).catch(() => '')));
      const ok = infos.every((info) =>
        /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) &&
        new RegExp(`cluster_known_nodes:${masters}\\b`).test(info));
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`Redis Cluster not ok in time:\n${infos.join('\n---\n')}`);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const nodes = started.map((node) => ({ host: HOST, port: node.port }));
  return { nodes, stop };
}

// ---------------------------------------------------------------------------------------------
// Internals

async function waitUntilReady(proc: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.hasExited()) {
      throw new Error(`redis-server on port ${port} exited during start:\n${proc.output()}`);
    }
    const reply = await redisCommand(port, ['PING']).catch(() => undefined);
    if (reply === 'PONG') return;
    if (Date.now() > deadline) {
      throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms:\n${proc.output()}`);
    }
    await sleep(15);
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A free port `p` whose cluster bus port `p + 10000` is free too (so `p` <= 55535). */
async function freeClusterPort(exclude: ReadonlySet<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (exclude.has(port) || exclude.has(port - 10_000) || exclude.has(port + 10_000)) continue;
    if (await canListen(port) && await canListen(port + 10_000)) return port;
  }
  throw new Error('no free port pair (port, port + 10000) found for a Redis Cluster node');
}

/**
 * Send one command over a fresh connection and return its reply as a string (simple string, bulk
 * string or integer). Replies with an error (`-ERR …`) reject. Enough for PING and CLUSTER INFO.
 */
function redisCommand(port: number, args: readonly string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let buffer = Buffer.alloc(0);
    const finish = (err: Error | undefined, value?: string): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value ?? '');
    };
    socket.setTimeout(timeoutMs, () => finish(new Error('timeout')));
    socket.once('error', (err) => finish(err));
    socket.once('connect', () => {
      let request = `*${args.length}\r\n`;
      for (const arg of args) request += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd < 0) return;
      const type = String.fromCharCode(buffer[0] ?? 0);
      const line = buffer.subarray(1, lineEnd).toString('utf8');
      if (type === '+' || type === ':') finish(undefined, line);
      else if (type === '-') finish(new Error(line));
      else if (type === '$') {
        const length = Number(line);
        if (length < 0) return finish(undefined, '');
        if (buffer.length < lineEnd + 2 + length + 2) return;
        finish(undefined, buffer.subarray(lineEnd + 2, lineEnd + 2 + length).toString('utf8'));
      } else finish(new Error(`unexpected reply type ${JSON.stringify(type)}`));
    });
    socket.once('close', () => finish(new Error('connection closed')));
  });
}
