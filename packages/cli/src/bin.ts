#!/usr/bin/env node
import { main } from './program.js';

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
// Exit now even if a driver keeps a socket open; stdout and stderr are flushed first.
process.stdout.write('', () => { process.stderr.write('', () => process.exit(code)); });
