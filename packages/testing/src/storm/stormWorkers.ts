import { createHash } from 'node:crypto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** What one storm worker reports: token digests (never tokens), error lines, caller latencies. */
export interface StormWorkerReport {
  readonly tokens: string[];
  readonly errors: string[];
  readonly latenciesMs: number[];
}

/**
 * The worker's side of a storm: `callers` concurrent `accessToken()` calls, each timed, reported as
 * a worker prints it (tokens as their SHA-256 only: no token leaves the worker process).
 * @param accessToken - one caller's call, e.g. `() => auth.withSession(subject, (s) => s.accessToken('sandbox'))`
 */
export async function stormCallers(callers: number, accessToken: () => Promise<string>): Promise<StormWorkerReport> {
  const results = await Promise.all(Array.from({ length: callers }, async () => {
    const start = performance.now();
    try {
      const token = await accessToken();
      return { token: createHash('sha256').update(token).digest('hex'), ms: performance.now() - start };
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string };
      return { error: `${e.code ?? e.name}: ${e.message}`, ms: performance.now() - start };
    }
  }));
  return {
    tokens: results.flatMap((r) => (r.token === undefined ? [] : [r.token])),
    errors: results.flatMap((r) => (r.error === undefined ? [] : [r.error])),
    latenciesMs: results.map((r) => r.ms),
  };
}

/** A started worker process, warmed up and waiting for `go`. */
export interface StormWorker {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the worker's JSON line once its callers are done; rejects when it exits without one. */
  readonly report: Promise<StormWorkerReport>;
  /** Lets its callers go (writes `go` to its stdin). */
  go(): void;
}

/**
 * Worker processes for cross-process refresh storms (a store's `refresh-across-processes` tests and
 * the bench). A worker script prints `ready` when warmed up, waits for `go` on stdin, then prints one
 * JSON {@link StormWorkerReport} line. Workers still running at {@link StormWorkers.killAll} are
 * killed.
 */
export class StormWorkers {
  readonly #script: URL;
  readonly #children: ChildProcessWithoutNullStreams[] = [];

  /** @param script - the worker script (an `.mjs` file URL) */
  constructor(script: URL) {
    this.#script = script;
  }

  /**
   * Starts a worker with `args` and resolves when it is ready.
   * @throws Error with the worker's stderr (less runtime warnings) when it exits first
   */
  start(args: readonly string[]): Promise<StormWorker> {
    const child = spawn(process.execPath, [this.#script.pathname, ...args], {
      env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#children.push(child);
    const lines = createInterface({ input: child.stdout });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    return new Promise((resolveReady, rejectReady) => {
      let resolveReport!: (r: StormWorkerReport) => void;
      let rejectReport!: (e: Error) => void;
      const report = new Promise<StormWorkerReport>((res, rej) => { resolveReport = res; rejectReport = rej; });
      report.catch(() => undefined); // a worker that fails before `go` rejects `start` instead
      lines.on('line', (line) => {
        if (line === 'ready') resolveReady({ child, report, go: () => { child.stdin.write('go\n'); } });
        else if (line.startsWith('{')) resolveReport(JSON.parse(line) as StormWorkerReport);
      });
      child.on('exit', (code) => {
        const err = new Error(`worker exited with ${code}: ${stderr.split('\n').filter((l) => !/WARNING|Unsupported runtime/.test(l)).join('\n').slice(0, 2000)}`);
        rejectReady(err);
        rejectReport(err);
      });
    });
  }

  /** Kills the workers still running. */
  killAll(): void {
    for (const child of this.#children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}
