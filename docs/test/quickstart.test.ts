import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The README quickstart is docs/snippets/quickstart.ts; `pnpm quickstart` runs it with plain Node
 * (type stripping, no transform), and so does this test: in a child process, with the Node that
 * runs the tests and without Jest's NODE_OPTIONS, as a user would.
 */
describe('the quickstart (README Usage), run as a program', () => {
  let result: { exitCode: number | null; stdout: string; stderr: string };
  beforeAll(async () => {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    result = await new Promise((resolve) => {
      const child = execFile(process.execPath, ['snippets/quickstart.ts'], { cwd: docs, env, timeout: 20_000 }, (_error, stdout, stderr) => {
        resolve({ exitCode: child.exitCode, stdout, stderr });
      });
    });
  });

  it('exits 0', () => { expect(result).toMatchObject({ exitCode: 0 }); });

  it('connects user-123 and prints what GET /api/me answered for the connected account', () => {
    expect(result.stdout.split('\n')).toEqual([
      'user-123 connected sandbox account sandbox-user',
      'GET /api/me: {"sub":"sandbox-user","scope":"openid offline_access api:read","client_id":"sandbox-client"}',
      '',
    ]);
  });

  it('prints no warning and no error (on a non-LTS Node, oidc-provider warns that it is not LTS)', () => {
    const lines = result.stderr.split('\n').filter((line) => line.trim());
    const expected = process.release.lts ? [] : ['oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release.'];
    expect(lines).toEqual(expected);
  });
});
