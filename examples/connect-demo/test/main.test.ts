import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from '@jest/globals';

const execFileAsync = promisify(execFile);

/** Polls `probe` every 100 ms until it returns a value, for at most 15 s. */
async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The command as `pnpm start` runs it: the built file (the root `test` script builds first).
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Started {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly origin: string;
  output(): string;
  exit(): Promise<number | null>;
}

function requireBuild(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm --filter connect-demo build\` first`);
}

/** Starts `node dist/main.js` on free ports (a memory store unless `extraEnv` says otherwise). */
function spawnMain(extraEnv: NodeJS.ProcessEnv = {}): ChildProcessByStdio<null, Readable, Readable> {
  requireBuild();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PORT: '0', SANDBOX_PORT: '0', ...extraEnv };
  return spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `node dist/main.js` on free ports with a memory store and waits for its "open <url>" line. */
async function startMain(extraEnv: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawnMain(extraEnv);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "open" line within 15 s:\n${output}`)), 15_000);
    const check = (): void => {
      const match = /connect-demo: open (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`exited before listening:\n${output}`)); });
  });
  return { child, origin, output: () => output, exit: () => exited };
}

describe('node dist/main.js', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves the page with the memory store and the sandbox, and exits 0 on ${signal}`, async () => {
      const started = await startMain();
      let page = '';
      try {
        const res = await fetch(started.origin);
        page = await res.text();
      } finally {
        started.child.kill(signal);
      }
      const code = await started.exit();

      expect(page).toContain('Store: Memory (this process only)');
      expect(page).toContain('id="connect-sandbox"');
      expect(started.output()).toContain(`connect-demo: ${signal}, shutting down`);
      expect(code).toBe(0);
    });
  }
});

describe('node dist/main.js with an unreachable REDIS_URL (regression: found only on first use)', () => {
  let code: number | null;
  let output = '';
  let elapsedMs: number;

  beforeAll(async () => {
    const port = await closedPort();
    const started = Date.now();
    const child = spawnMain({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    elapsedMs = Date.now() - started;
    output = output.replace(/^oidc-provider WARNING: Unsupported runtime.*\n/m, ''); // a Node release that is not LTS (26 from the registry today)
  }, 30_000);

  it('exits non-zero at start, without listening', () => {
    expect(code).toBe(1);
    expect(output).not.toContain('connect-demo: open');
    expect(elapsedMs).toBeLessThan(15_000);
  });

  it('prints one clear line naming the store and REDIS_URL', () => {
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(/^connect-demo: could not start: the credential store Redis \(127\.0\.0\.1:\d+\/0\) did not answer \(STORE_UNAVAILABLE\); is it running\? Check REDIS_URL\.$/),
    ]);
  });
});

describe('node dist/main.js log lines', () => {
  it('writes JSON lines when its output is not a terminal', async () => {
    const started = await startMain({ DEMO_LOG_LEVEL: 'info' });
    try {
      await fetch(started.origin).then((res) => res.text());
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      started.child.kill('SIGTERM');
    }
    await started.exit();
    const logLines = started.output().split('\n').filter((line) => line.startsWith('{'));
    const entries = logLines.map((line) => JSON.parse(line) as { msg?: string; req?: { url?: string } });
    expect(entries).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'incoming request', req: { method: 'GET', url: '/' } })]));
  });

  it('writes readable lines in a terminal (tmux)', async () => {
    requireBuild();
    const socket = `connect-demo-test-${process.pid}`;
    const tmux = (...args: string[]) => execFileAsync('tmux', ['-L', socket, ...args]);
    const command = `env PORT=0 SANDBOX_PORT=0 DEMO_LOG_LEVEL=info ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)}`;
    await tmux('new-session', '-d', '-x', '200', '-y', '50', command);
    let screen = '';
    try {
      const origin = await waitFor(async () => {
        screen = (await tmux('capture-pane', '-p', '-J')).stdout;
        return /connect-demo: open (http:\/\/\S+)/.exec(screen)?.[1];
      });
      await fetch(origin).then((res) => res.text());
      await waitFor(async () => {
        screen = (await tmux('capture-pane', '-p', '-J')).stdout;
        return /request completed/.test(screen) || undefined;
      });
      await tmux('send-keys', 'C-c');
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }
    expect(screen).toMatch(/^\d\d:\d\d:\d\d {2}INFO {3}incoming request {2}GET \/$/m);
    expect(screen).toMatch(/^\d\d:\d\d:\d\d {2}INFO {3}request completed {2}200 {2}\d+ms$/m);
    expect(screen).not.toMatch(/^\{"level"/m);
  }, 30_000);
});
