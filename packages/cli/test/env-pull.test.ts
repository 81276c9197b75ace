import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { followAuthorization, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { authorizationUrl, run, start, workspace, writeSandboxConfig, type RunResult, type Workspace } from './helpers.js';

const PORT = 20000 + ((process.pid + 7) % 20000);

describe('env pull', () => {
  let server: SandboxProvider;
  let ws: Workspace;
  const redirectUri = `http://127.0.0.1:${PORT}/callback`;
  let pulled: RunResult;
  let token: string;
  let file: string;
  let mode: number;
  let toStdout: RunResult;
  const before = ['# local settings', 'export API_URL=http://localhost:3000', '', 'SANDBOX_TOKEN=stale-token', 'OTHER="kept as is"'].join('\n') + '\n';

  beforeAll(async () => {
    server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri] });
    ws = await workspace();
    await writeSandboxConfig(ws, server.issuer, redirectUri);
    const running = start(ws, ['connect', 'sandbox']);
    await fetch(await followAuthorization(await authorizationUrl(running), redirectUri));
    expect((await running.done).code).toBe(0);
    await writeFile(join(ws.project, '.env'), before, { mode: 0o644 });
    pulled = await run(ws, ['env', 'pull']);
    file = await readFile(join(ws.project, '.env'), 'utf8');
    mode = (await stat(join(ws.project, '.env'))).mode & 0o777;
    token = (await run(ws, ['token', 'sandbox'])).stdout.trim();
    toStdout = await run(ws, ['env', 'pull', '--out', '-']);
  });
  afterAll(async () => { await server?.close(); await ws?.cleanup(); });

  it('exits 0 and names what it wrote, without the token', () => {
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe(`Wrote SANDBOX_TOKEN to ${join(ws.project, '.env')} (mode 0600)\n`);
    expect(pulled.stdout + pulled.stderr).not.toContain(token);
  });

  it('replaces the SANDBOX_TOKEN line in place and keeps every other line', () => {
    expect(file).toBe(before.replace('SANDBOX_TOKEN=stale-token', `SANDBOX_TOKEN=${token}`));
  });

  it('leaves the file mode 0600 (it was 0644)', () => {
    expect(mode).toBe(0o600);
  });

  it('--out - prints the lines to a pipe', () => {
    expect(toStdout).toEqual({ code: 0, stdout: `SANDBOX_TOKEN=${token}\n`, stderr: '' });
  });
});
