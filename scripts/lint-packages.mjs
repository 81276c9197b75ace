// Part of `pnpm test`: every published package passes publint --strict (exports map, types first,
// files present). Uses publint's API on the built packages.
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { readFileSync, readdirSync } from 'node:fs';

let failed = 0;
for (const dir of readdirSync('packages')) {
  const pkgDir = `packages/${dir}`;
  const pkg = JSON.parse(readFileSync(`${pkgDir}/package.json`, 'utf8'));
  const { messages } = await publint({ pkgDir, strict: true, level: 'warning' });
  for (const message of messages) {
    failed++;
    console.error(`${pkg.name}: ${formatMessage(message, pkg) ?? message.code}`);
  }
}
console.log(failed === 0 ? 'publint --strict: all packages clean' : `publint --strict: ${failed} problem(s)`);
process.exit(failed === 0 ? 0 : 1);
