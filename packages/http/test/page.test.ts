import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serve, type ServerType } from '@hono/node-server';
import { defineProvider, oauth2, oauthClientFields, type ProviderDefinition } from '@authmanager/core';
import { Hono } from 'hono';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { connectRoutes } from '../src/hono.js';
import { startWorld, type World } from './support.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A provider whose app credentials are not set: the page shows which variables to set. */
const acme = defineProvider({
  id: 'acme',
  displayName: 'Acme',
  appCredentials: { ...oauthClientFields('ACME') },
  oauth2: {
    server: () => ({ authorizationEndpoint: 'https://acme.invalid/authorize', tokenEndpoint: 'https://acme.invalid/token' }),
    clientAuthentication: 'client_secret_basic',
  },
} satisfies ProviderDefinition<'acme'>);

/**
 * Every element with its own text whose colour against its effective background is below 4.5:1
 * (WCAG 2.1 AA for body text), measured in the page.
 */
async function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (s: string): [number, number, number, number] => {
      const m = /rgba?\(([^)]+)\)/.exec(s);
      const [r = 0, g = 0, b = 0, a = 1] = (m?.[1] ?? '0,0,0,0').split(',').map((x) => Number(x.trim()));
      return [r, g, b, m?.[1]?.split(',').length === 4 ? a : 1];
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (c: number) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) return c;
      }
      return [255, 255, 255, 1];
    };
    const out: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '');
      const style = getComputedStyle(el);
      if (!ownText || style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
      const fg = lum(rgb(style.color));
      const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
    return out;
  });
}

/**
 * A per-tenant provider on the sandbox: the tenant goes into the authorization URL (its query, as
 * the sandbox has one host), so Connect asks for it.
 */
const tenant = oauth2({
  id: 'tenant', displayName: 'Tenant Co',
  authorizationEndpoint: 'https://tenant.invalid/auth?tenant={tenant}', tokenEndpoint: 'https://tenant.invalid/token',
  variables: { tenant: { from: 'connection', description: 'Your Tenant Co workspace', example: 'acme' } },
  scopes: ['openid'],
});

describe('connect page in Chromium (interactive sandbox)', () => {
  let world: World;
  let server: ServerType;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    world = await startWorld({
      interactive: true,
      extra: (sb) => [acme(), tenant({ authorizationUrl: `${sb.issuer}/auth?tenant={tenant}`, tokenUrl: `${sb.issuer}/token`, clientId: sb.clientId, clientSecret: sb.clientSecret })],
    });
    const handler = world.handler({ page: { title: 'Your integrations', description: 'Connect the services this app may use for you.' } });
    const app = new Hono();
    app.route('/', connectRoutes(handler));
    server = await new Promise<ServerType>((resolve) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s)); });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    world.allow(origin);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server ? server.close(() => resolve()) : resolve());
    await world?.close();
  });

  async function contextFor(subject: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page; consoleErrors: string[]; foreignRequests: string[] }> {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(8_000);
    await context.addCookies([{ name: 'user', value: subject, url: origin }]);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const foreignRequests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('request', (r) => { const o = new URL(r.url()).origin; if (o !== origin && o !== world.sandbox.issuer) foreignRequests.push(r.url()); });
    return { context, page, consoleErrors, foreignRequests };
  }

  async function signInAndApprove(page: Page, username: string): Promise<void> {
    await page.waitForURL((url) => url.origin === world.sandbox.issuer);
    await page.locator('input[name="login"]').fill(username);
    await page.locator('#sign-in').click();
    await page.locator('#approve').click();
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/connect');
  }

  it('connects through the sandbox and shows provider, account, status and expiry, with no CSP error and no outside request', async () => {
    const { context, page, consoleErrors, foreignRequests } = await contextFor('page-user');
    try {
      await page.goto(`${origin}/connect`);
      const before = await page.locator('#status-sandbox').textContent();
      await page.locator('#connect-sandbox').click();
      await signInAndApprove(page, 'alice');
      const message = await page.locator('#message').textContent();
      const role = await page.locator('#message').getAttribute('role');
      const card = page.locator('#provider-sandbox');
      const status = await card.locator('.status').textContent();
      const account = await card.locator('.account').textContent();
      const expiry = await card.locator('.expiry time').textContent();
      const datetime = await card.locator('.expiry time').getAttribute('datetime');
      const reconnect = await page.locator('#connect-sandbox').textContent();
      const stored = await world.auth.loadCredentials('sandbox', 'page-user');
      const html = await page.content();
      await page.screenshot({ path: '/tmp/connect-page.png', fullPage: true });

      expect(before).toBe('Not connected');
      expect(message).toBe('Connected Sandbox as alice.');
      expect(role).toBe('status');
      expect(status).toBe('Connected');
      expect(account).toBe('alice');
      expect(expiry).toMatch(/^in (?:59 min|1 h)$/);
      expect(Date.parse(datetime!)).toBe(stored!.expiresAt!.getTime());
      expect(reconnect).toBe('Reconnect Sandbox');
      expect(html).not.toContain(stored!.accessToken);
      expect(consoleErrors).toEqual([]);
      expect(foreignRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('names every control (Connect / Disconnect with the provider) and shows the variables an unconfigured provider needs', async () => {
    await world.auth.storeCredentials('sandbox', 'aria-user', { accessToken: 'sandbox-access-token-aria-0001', expiresAt: new Date(Date.now() + 3_600_000) });
    const { context, page } = await contextFor('aria-user');
    try {
      await page.goto(`${origin}/connect`);
      const tree = await page.locator('main').ariaSnapshot();

      expect(tree).toContain('link "Reconnect Sandbox"');
      expect(tree).toContain('button "Disconnect Sandbox"');
      expect(tree).toContain('link "Connect Other Sandbox"');
      expect(tree).toMatch(/listitem "Acme"/);
      expect(await page.locator('#hint-acme').textContent()).toBe('Set ACME_CLIENT_ID and ACME_CLIENT_SECRET to enable.');
      expect(await page.locator('#connect-acme').count()).toBe(0);
    } finally {
      await context.close();
      await world.auth.deleteCredentials('sandbox', 'aria-user');
    }
  });

  it('meets 4.5:1 contrast for all text, connected and not, and after an error', async () => {
    await world.auth.storeCredentials('sandbox', 'contrast-user', { accessToken: 'sandbox-access-token-contrast-01', expiresAt: new Date(Date.now() + 60_000) });
    const { context, page } = await contextFor('contrast-user');
    try {
      await page.goto(`${origin}/connect`);
      const connected = await lowContrast(page);
      await page.goto(`${origin}/connect?error=AUTHORIZATION_DENIED&provider=sandbox&oauth_error=access_denied`);
      const failed = await lowContrast(page);
      const alert = await page.locator('#message[role="alert"]').textContent();

      expect(connected).toEqual([]);
      expect(failed).toEqual([]);
      expect(alert).toBe('You declined access at Sandbox (access_denied). Nothing was connected.');
    } finally {
      await context.close();
      await world.auth.deleteCredentials('sandbox', 'contrast-user');
    }
  });

  it('works by keyboard alone: Tab to Connect, Enter, then Tab to Disconnect, Enter', async () => {
    const { context, page } = await contextFor('keyboard-user');
    const tabTo = async (id: string): Promise<boolean> => {
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((want) => document.activeElement?.id === want, id)) return true;
      }
      return false;
    };
    try {
      await page.goto(`${origin}/connect`);
      const reachedConnect = await tabTo('connect-sandbox');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.origin === world.sandbox.issuer);
      await page.locator('input[name="login"]').fill('kim');
      await page.locator('input[name="login"]').press('Enter');
      await page.locator('#approve').focus();
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.origin === origin && url.pathname === '/connect');
      const reachedDisconnect = await tabTo('disconnect-sandbox');
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.searchParams.get('disconnected') === 'sandbox');
      const message = await page.locator('#message').textContent();

      expect(reachedConnect).toBe(true);
      expect(outline).toBe('solid');
      expect(reachedDisconnect).toBe(true);
      expect(message).toBe('Disconnected Sandbox: the grant was revoked at Sandbox and the stored credential deleted.');
      expect(await world.auth.loadCredentials('sandbox', 'keyboard-user')).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('fits a 390 px phone screen with a 64-character subject and a 200-character account name (no horizontal scrolling)', async () => {
    const subject = `a-very-long-subject-${'x'.repeat(44)}`;
    const { context, page } = await contextFor(subject, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    try {
      await page.goto(`${origin}/connect`);
      const emptyWidth = await width();
      await page.locator('#connect-sandbox').click();
      await signInAndApprove(page, `someone.with.a.very.long.name-${'y'.repeat(170)}`);
      const connectedWidth = await width();
      await page.screenshot({ path: '/tmp/connect-page-390.png', fullPage: true });

      expect({ emptyWidth, connectedWidth }).toEqual({ emptyWidth: 390, connectedWidth: 390 });
    } finally {
      await context.close();
      await world.auth.deleteCredentials('sandbox', subject);
    }
  });

  it('sends a strict CSP: one style and one script by nonce, no framing, forms to its own origin and the tenant provider\'s', async () => {
    const response = await fetch(`${origin}/connect`, { headers: { cookie: 'user=csp-user' } });
    const csp = response.headers.get('content-security-policy') ?? '';
    const html = await response.text();
    const [styleNonce, scriptNonce] = [...csp.matchAll(/'nonce-([^']+)'/g)].map((m) => m[1]);

    expect(csp).toBe(`default-src 'none'; style-src 'nonce-${styleNonce}'; script-src 'nonce-${scriptNonce}'; img-src 'none'; form-action 'self' ${world.sandbox.issuer}; base-uri 'none'; frame-ancestors 'none'`);
    expect(scriptNonce).not.toBe(styleNonce);
    expect(html).toContain(`<style nonce="${styleNonce}">`);
    expect([...html.matchAll(/<script/g)]).toHaveLength(1);
    expect(html).toContain(`<script nonce="${scriptNonce}">`);
    expect(html).not.toMatch(/style="|<link|<img|https?:\/\/(?!127\.0\.0\.1)/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('shows the exact redirect URI to register, and Copy puts it on the clipboard', async () => {
    const { context, page, consoleErrors } = await contextFor('copy-user', { permissions: ['clipboard-read', 'clipboard-write'] });
    try {
      await page.goto(`${origin}/connect`);
      const shown = await page.locator('#redirect-acme').inputValue();
      await page.locator('#copy-acme').click();
      await page.locator('#copy-acme', { hasText: 'Copied' }).waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());

      expect(shown).toBe(`${origin}/connect/acme/callback`);
      expect(copied).toBe(shown);
      expect(await page.locator('#redirect-sandbox').inputValue()).toBe(`${origin}/connect/sandbox/callback`);
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('asks a per-tenant provider for its tenant, and the value reaches the authorization request', async () => {
    const { context, page, consoleErrors } = await contextFor('tenant-user');
    const authorizeUrls: string[] = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/auth') authorizeUrls.push(r.url()); });
    try {
      await page.goto(`${origin}/connect`);
      await page.locator('#connection-tenant-tenant').fill('acme-corp');
      await page.locator('#connect-tenant').click();
      await signInAndApprove(page, 'tina');
      const status = await page.locator('#status-tenant').textContent();
      const stored = await world.auth.loadCredentials('tenant', 'tenant-user');

      expect(new URL(authorizeUrls[0]!).searchParams.get('tenant')).toBe('acme-corp');
      expect(status).toBe('Connected');
      expect(stored?.extras).toMatchObject({ connection_config: { tenant: 'acme-corp' } });
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
      await world.auth.deleteCredentials('tenant', 'tenant-user');
    }
  });

  it('refuses a tenant value that could leave the provider\'s host, and says why', async () => {
    const { context, page } = await contextFor('tenant-bad');
    try {
      await page.goto(`${origin}/connect`);
      await page.locator('#connection-tenant-tenant').fill('evil.example/x');
      await page.locator('#connect-tenant').click();
      await page.waitForURL((url) => url.origin === origin && url.pathname === '/connect');
      const message = await page.locator('#message').textContent();

      expect(message).toMatch(/Tenant Co/);
      expect(await world.auth.loadCredentials('tenant', 'tenant-bad')).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});
