import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../src/ExitCode.js';
import { renderReference } from '../src/reference.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'cli.md'), 'utf8');

describe('docs/cli.md', () => {
  it('holds the reference generated from the command definitions (run `pnpm --filter @authmanager/cli reference` after changing a command)', () => {
    const m = /<!-- reference:start[^\n]*-->\n([\s\S]*?)<!-- reference:end -->/.exec(doc);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(renderReference());
  });

  it('the reference covers every command the issue lists, and every exit code', () => {
    const reference = renderReference();
    for (const command of ['connect', 'redirect-url', 'token', 'list', 'refresh', 'revoke', 'env pull', 'keys rotate', 'migrate', 'doctor']) {
      expect(reference).toContain(`### \`authmanager ${command}\``);
    }
    for (const code of Object.values(ExitCode)) expect(reference).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});
