import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';

// The command as `pnpm start` runs it: the built file (the root `test` script builds first).
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Started {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly origin: string;
  output(): string;
  exit(): Promise<number | null>;
}

/** Starts `node dist/main.js` on free ports with a memory store and waits for its "open <url>" line. */
async function startMain(): Promise<Started> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm --filter connect-demo build\` first`);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PORT: '0', SANDBOX_PORT: '0' };
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
