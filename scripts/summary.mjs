// Prints one closing line for the whole test run, "N passed, N failed", from each workspace's
// Jest JSON results (written by `jest --json --outputFile=jest-results.json`).
import { existsSync, readFileSync, readdirSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0;
for (const group of ['packages', 'examples', '.']) {
  const dirs = group === '.' ? ['docs'] : readdirSync(group).map((d) => `${group}/${d}`);
  for (const dir of dirs) {
    const file = `${dir}/jest-results.json`;
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
