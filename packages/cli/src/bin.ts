#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Every run of a CLI starts cold: Node's on-disk compile cache (in `os.tmpdir()/node-compile-cache`
// unless NODE_COMPILE_CACHE names a directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off) lets the
// next run skip compiling the ~500 modules a run loads.
// https://nodejs.org/api/module.html#moduleenablecompilecachecachedir
enableCompileCache?.();
const { main } = await import('./program.js');

// `node:sqlite` (the local store) is still flagged experimental on some Node versions and prints
// an ExperimentalWarning on first use; a CLI whose stderr people and scripts read must not show
// it. Every other warning is printed as usual.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type ?? (warning as Error).name;
  if (type === 'ExperimentalWarning' && /SQLite/.test(text)) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
// Exit now even if a driver keeps a socket open; stdout and stderr are flushed first.
process.stdout.write('', () => { process.stderr.write('', () => process.exit(code)); });
