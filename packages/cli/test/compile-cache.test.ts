import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, workspace, type Workspace } from './helpers.js';

/** Files under `dir`, recursively (none when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

describe('the CLI keeps a compile cache between runs (cold start)', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await workspace(); });
  afterAll(async () => { await ws.cleanup(); });

  it('a run writes Node\'s compile cache under the temporary directory', async () => {
    const tmp = join(ws.home, 'tmp');
    mkdirSync(tmp);
    const result = await run(ws, ['--help'], { TMPDIR: tmp });
    expect(result.code).toBe(0);
    expect(filesUnder(join(tmp, 'node-compile-cache')).length).toBeGreaterThan(10);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns it off', async () => {
    const tmp = join(ws.home, 'tmp-off');
    mkdirSync(tmp);
    const result = await run(ws, ['--help'], { TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(result.code).toBe(0);
    expect(filesUnder(join(tmp, 'node-compile-cache'))).toEqual([]);
  });
});
