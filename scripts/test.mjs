// `pnpm test`: every check CI runs, in order, then one closing "N passed, N failed" line
// (scripts/summary.mjs). After the system check, a failing step does not stop the later ones — a
// type error in one package still lets every package's tests run — but any failure makes the exit
// status 1.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resultFiles } from './summary.mjs';

const node = process.execPath;
const steps = [
  { args: [node, 'scripts/ensure-system-deps.mjs'], required: true }, // redis-server, chromium
  { args: ['turbo', 'run', 'build', 'typecheck'] },
  { args: [node, 'scripts/lint-packages.mjs'] },
  // --continue: one package's failures must not hide the others' results from the summary
  { args: ['turbo', 'run', 'test', '--concurrency=1', '--continue'] },
];

// Results of an earlier run must not count for this one (a workspace whose tests crash writes none).
for (const { file } of resultFiles()) rmSync(file, { force: true });

const failedSteps = [];
for (const { args: [command, ...args], required } of steps) {
  const { status, error } = spawnSync(command, args, { stdio: 'inherit' });
  if (status === 0) continue;
  failedSteps.push(`${command === node ? 'node' : command} ${args.join(' ')} (${error ? error.message : `exit ${status}`})`);
  if (required) break;
}
const summary = spawnSync(node, ['scripts/summary.mjs', ...failedSteps.map((s) => `--failed-step=${s}`)], { stdio: 'inherit' });
process.exit(summary.status === 0 && failedSteps.length === 0 ? 0 : 1);
