import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type DemoHarness } from './harness.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = '/tmp/demo-connected.png';

/** Signs in on the sandbox's login page; the consent page comes next. */
async function signInAtSandbox(page: Page, demo: DemoHarness, username: string): Promise<void> {
  await page.waitForURL((url) => url.origin === demo.sandbox.issuer);
  await page.locator('input[name="login"]').fill(username);
  await page.locator('#sign-in').click();
  await page.locator('#approve').waitFor();
}

describe('connect demo in Chromium (interactive sandbox)', () => {
  let demo: DemoHarness;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startDemo({ interactive: true });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('connects through the sandbox sign-in and consent pages, then Call API answers for the signed-in user', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    try {
      await page.goto(demo.origin);
      await page.locator('#subject').fill('browser-user');
      await page.locator('#switch-subject').click();
      await expect(page.locator('#flash').textContent()).resolves.toContain('Switched to subject browser-user.');

      await page.locator('#connect-sandbox').click();
      await signInAtSandbox(page, demo, 'alice');
      await page.locator('#approve').click();
      await page.waitForURL(`${demo.origin}/`);
      const flash = await page.locator('#flash').textContent();
      const account = await page.locator('#connections tr[data-provider="sandbox"] td.account').textContent();
      const expiry = await page.locator('#connections td.expiry span').textContent();
      // The inline script (allowed by the CSP nonce) counts down: the text changes within a few seconds.
      const ticked = await page.waitForFunction(
        (first) => document.querySelector('#connections td.expiry span')?.textContent !== first, expiry, { timeout: 5_000 },
      ).then(() => page.locator('#connections td.expiry span').textContent());

      await page.locator('#call-sandbox').click();
      await page.waitForURL(`${demo.origin}/`);
      const response = await page.locator('#api-response pre').textContent();
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      const stored = await demo.auth.loadCredentials('sandbox', 'browser-user');

      expect(flash).toContain('Connected Sandbox as alice for subject browser-user.');
      expect(account).toBe('alice');
      expect(expiry).toMatch(/^in (?:1h 0m 0s|59m \d{1,2}s)$/);
      expect(ticked).toMatch(/^in 59m \d{1,2}s$/);
      expect(JSON.parse(response ?? '{}')).toMatchObject({ sub: 'alice', client_id: demo.sandbox.clientId });
      expect(stored).toBeDefined();
      expect(await page.content()).not.toContain(stored?.accessToken);
    } finally {
      await context.close();
    }
  });

  it('shows a readable message when consent is denied, and connects nothing', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(demo.origin);
      await page.locator('#connect-sandbox').click();
      await signInAtSandbox(page, demo, 'bob');
      await page.locator('#deny').click();
      await page.waitForURL(`${demo.origin}/`);
      const flash = await page.locator('#flash').textContent();
      const flashClass = await page.locator('#flash').getAttribute('class');
      const empty = await page.locator('#connections-empty').isVisible();

      expect(flash).toBe('You declined access at Sandbox (access_denied). Nothing was connected.');
      expect(flashClass).toBe('flash error');
      expect(empty).toBe(true);
      expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});
