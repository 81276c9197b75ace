// docs that restate provider data are generated from it (docs/generate.mjs): stale ones fail here.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('generated docs', () => {
  it('the catalogue index and every App Credentials table match the definitions (run node docs/generate.mjs)', () => {
    const run = spawnSync(process.execPath, [join(root, 'generate.mjs'), '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
