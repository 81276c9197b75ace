import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('packaging', () => {
  it('CommonJS code on Node >= 22.12 can require() the ESM build', () => {
    const dir = mkdtempSync(join(pkgDir, 'node_modules', '.cjs-check-'));
    const file = join(dir, 'check.cjs');
    writeFileSync(file, `const core = require('@authmanager/core');
const auth = new core.AuthManager({ providers: [] });
process.stdout.write(JSON.stringify({ manager: typeof core.AuthManager, store: auth.store.constructor.name, code: core.ErrorCode.INVALID_STATE }));`);
    const out = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(JSON.parse(out.split('\n').filter(Boolean).pop()!)).toEqual({ manager: 'function', store: 'MemoryCredentialStore', code: 'INVALID_STATE' });
  });
});
