// Prints one closing line for the whole test run, "N passed, N failed", from each workspace's
// Jest JSON results (written by `jest --json --outputFile=jest-results.json`), then what else
// failed: a workspace whose tests wrote no results (crashed, or never ran), a test file that could
// not run (counted by Jest as a failed suite, not a failed test), and the --failed-step=… that
// scripts/test.mjs passes. Exits 1 on any of those, or when no test passed.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');

/** Every workspace with a `test` script, and the results file its Jest writes. */
export function resultFiles() {
  const dirs = ['packages', 'examples'].flatMap((group) => readdirSync(join(root, group)).map((d) => `${group}/${d}`)).concat('docs');
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')) && JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).scripts?.test)
    .map((dir) => ({ dir, file: join(root, dir, 'jest-results.json') }));
}

function summarize(failedSteps) {
  let passed = 0, failed = 0, skipped = 0;
  const problems = [...failedSteps.map((step) => `step failed: ${step}`)];
  for (const { dir, file } of resultFiles()) {
    if (!existsSync(file)) { problems.push(`${dir}: no test results (its tests crashed or did not run)`); continue; }
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    for (const suite of r.testResults ?? []) {
      if (suite.status === 'failed' && suite.assertionResults.length === 0) problems.push(`${dir}: ${suite.name.slice(root.length + 1)} did not run: ${suite.message.replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim())?.trim() ?? ''}`);
    }
    if (!r.success && r.numFailedTests === 0 && !problems.some((p) => p.startsWith(`${dir}:`))) problems.push(`${dir}: Jest reported failure`);
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  for (const p of problems) console.log(`  ${p}`);
  return failed > 0 || passed === 0 || problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const failedSteps = process.argv.slice(2).filter((a) => a.startsWith('--failed-step=')).map((a) => a.slice('--failed-step='.length));
  process.exit(summarize(failedSteps));
}
