import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DemoClient, startDemo, type DemoHarness } from './harness.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = '/tmp/demo-connected.png';

/** Whether a URL is the demo's connect page (where every action returns to). */
function onPage(demo: DemoHarness): (url: URL) => boolean {
  return (url) => url.origin === demo.origin && url.pathname === '/connect';
}

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

  it('connects through the sandbox sign-in and consent pages and shows the account on the connect page', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    try {
      await page.goto(demo.origin);
      await page.locator('#subject').fill('browser-user');
      await page.locator('#switch-subject').click();
      await page.waitForURL(onPage(demo));
      const signedInAs = await page.locator('#subject').inputValue();

      await page.locator('#connect-sandbox').click();
      await signInAtSandbox(page, demo, 'alice');
      await page.locator('#approve').click();
      await page.waitForURL(onPage(demo));
      const flash = await page.locator('#message').textContent();
      const account = await page.locator('#provider-sandbox .account').textContent();
      const expiry = await page.locator('#provider-sandbox .expiry time').textContent();
      const store = await page.locator('#store').textContent();
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      const stored = await demo.auth.loadCredentials('sandbox', 'browser-user');

      expect(signedInAs).toBe('browser-user');
      expect(flash).toBe('Connected Sandbox as alice.');
      expect(account).toBe('alice');
      expect(expiry).toMatch(/^in (?:1 h|59 min)$/);
      expect(store).toBe('Store: Memory (test)');
      expect(stored).toBeDefined();
      expect(await page.content()).not.toContain(stored?.accessToken);
    } finally {
      await context.close();
    }
  });

  it('signs in when Enter is pressed in the sandbox\'s username field (regression: Enter cancelled, as Cancel was the form\'s first submit button)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(demo.origin);
      await page.locator('#subject').fill('enter-user');
      await page.locator('#switch-subject').click();
      await page.locator('#connect-sandbox').click();
      await page.waitForURL((url) => url.origin === demo.sandbox.issuer);
      await page.locator('input[name="login"]').fill('carol');
      await page.locator('input[name="login"]').press('Enter');
      await page.locator('#approve').waitFor({ timeout: 5_000 });
      const consent = await page.locator('main').textContent();
      await page.locator('#approve').click();
      await page.waitForURL(onPage(demo));
      const flash = await page.locator('#message').textContent();

      expect(consent).toContain('Signed in as carol.');
      expect(flash).toBe('Connected Sandbox as carol.');
      expect(await demo.auth.loadCredentials('sandbox', 'enter-user')).toBeDefined();
    } finally {
      await context.close();
    }
  });

  it('fits a 390 px wide phone screen with a long subject and a long username (regression: the page was 852 px wide)', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    const subject = `a-very-long-subject-${'x'.repeat(44)}`; // 64 characters, no place to break
    const username = `someone.with.a.very.long.name-${'y'.repeat(170)}`; // 200 characters, the sandbox's maximum
    try {
      await page.goto(demo.origin);
      await page.locator('#subject').fill(subject);
      await page.locator('#switch-subject').click();
      await page.waitForURL(onPage(demo));
      await page.locator('#connect-sandbox').click();
      await page.waitForURL((url) => url.origin === demo.sandbox.issuer);
      const signInWidth = await width();
      await page.locator('input[name="login"]').fill(username);
      await page.locator('#sign-in').click();
      await page.locator('#approve').waitFor();
      const consentWidth = await width();
      await page.locator('#approve').click();
      await page.waitForURL(onPage(demo));
      const connectedWidth = await width();
      await page.screenshot({ path: '/tmp/demo-390.png', fullPage: true });
      const account = await page.locator('#provider-sandbox .account').textContent();

      expect(account).toBe(username);
      expect({ signInWidth, consentWidth, connectedWidth }).toEqual({ signInWidth: 390, consentWidth: 390, connectedWidth: 390 });
    } finally {
      await context.close();
    }
  });

  it('refuses a valid subject and token pair planted by a page on another port of the same host (regression: double-submit only)', async () => {
    // The other app fetches a real token for the default subject from the demo, plants the subject
    // cookie (cookies ignore ports) and posts the token from its own page.
    const stolen = new DemoClient(demo.origin);
    await stolen.home();
    const attackerPage = `<!doctype html><body><form method="post" action="${demo.origin}/subject">
      <input name="csrf" value="${stolen.csrf}"><input name="subject" value="planted-subject"></form>
      <script>document.cookie = 'demo_subject=demo-user; path=/'; document.forms[0].submit();</script>`;
    const attacker: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const refused = page.waitForResponse((res) => res.url() === `${demo.origin}/subject`);
      await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      const response = await refused;
      const cookies = await context.cookies(demo.origin);

      expect(response.status()).toBe(403);
      expect(cookies.find((c) => c.name === 'demo_subject')?.value).toBe('demo-user'); // the plant itself worked; the switch did not
    } finally {
      await context.close();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
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
      await page.waitForURL(onPage(demo));
      const flash = await page.locator('#message').textContent();
      const flashClass = await page.locator('#message').getAttribute('class');
      const status = await page.locator('#status-sandbox').textContent();

      expect(flash).toBe('You declined access at Sandbox (access_denied). Nothing was connected.');
      expect(flashClass).toBe('message error');
      expect(status).toBe('Not connected');
      expect(await demo.auth.loadCredentials('sandbox', 'demo-user')).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});
