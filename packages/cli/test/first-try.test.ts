import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { authorizationUrl, run, start, workspace, type RunResult, type Workspace } from './helpers.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('first try, no configuration: `connect sandbox` in Chromium, then `token sandbox`', () => {
  let ws: Workspace;
  let browser: Browser;
  let connected: RunResult;
  let pageText: string;
  let tokenRun: RunResult;
  let listRun: RunResult;

  beforeAll(async () => {
    ws = await workspace();
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const running = start(ws, ['connect', 'sandbox']);
    const url = await authorizationUrl(running);
    const page = await browser.newPage();
    await page.goto(url.href);
    // The built-in sandbox asks a person to sign in (any username) and to approve.
    await page.fill('#login', 'first-try-user');
    await page.click('#sign-in');
    await page.click('#approve');
    await page.waitForSelector('#result');
    pageText = await page.innerText('main');
    connected = await running.done;
    tokenRun = await run(ws, ['token', 'sandbox']);
    listRun = await run(ws, ['list']);
  });
  afterAll(async () => { await browser?.close(); await ws?.cleanup(); });

  it('the browser lands on the loopback page saying it is connected', () => {
    expect(pageText).toContain('Connected');
    expect(pageText).toContain('Sandbox is connected. The credential is stored.');
  });

  it('connect exits 0 and says as whom', () => {
    expect(connected.code).toBe(0);
    expect(connected.stderr).toContain('Started the built-in sandbox authorization server');
    expect(connected.stderr).toContain('Connected Sandbox as first-try-user for subject default');
  });

  it('a later `token sandbox` prints the stored access token', () => {
    expect(tokenRun.code).toBe(0);
    expect(tokenRun.stdout).toMatch(/^[\w-]{20,}\n$/);
  });

  it('list shows the connection in a table without colours (not a terminal)', () => {
    expect(listRun.code).toBe(0);
    expect(listRun.stdout).toMatch(/│ sandbox +│ default +│ first-try-user +│ active +│ (59m|1h 0m) +│/);
    expect(listRun.stdout).not.toContain('\u001b[');
  });

  it('the credential is in the SQLite file under the config dir, encrypted: the token is not in it', () => {
    const db = readFileSync(join(ws.configDir, 'credentials.db'));
    expect(db.length).toBeGreaterThan(0);
    const wal = (() => { try { return readFileSync(join(ws.configDir, 'credentials.db-wal')); } catch { return Buffer.alloc(0); } })();
    const token = tokenRun.stdout.trim();
    expect(db.includes(token) || wal.includes(token)).toBe(false);
  });

  it('the local key and the database are mode 0600, their directory 0700', () => {
    expect(statSync(join(ws.configDir, 'local.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(ws.configDir, 'credentials.db')).mode & 0o777).toBe(0o600);
    expect(statSync(ws.configDir).mode & 0o777).toBe(0o700);
  });

  it('no secret in what connect printed', () => {
    expect(connected.stdout + connected.stderr).not.toContain(tokenRun.stdout.trim());
  });
});
