// Regenerates the CLI reference in docs/cli.md (between the reference markers) from the built
// command definitions: `pnpm --filter @authmanager/cli build && pnpm --filter @authmanager/cli reference`.
// packages/cli/test/reference.test.ts fails while they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReference } from '../dist/reference.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'cli.md');
const text = readFileSync(file, 'utf8');
const next = text.replace(/(<!-- reference:start[^\n]*-->\n)[\s\S]*?(<!-- reference:end -->)/, (_all, start, end) => `${start}${renderReference()}${end}`);
if (next !== text) { writeFileSync(file, next); console.log(`updated ${file}`); }
