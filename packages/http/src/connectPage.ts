import { randomBytes } from 'node:crypto';
import type { ConnectionInfo, ConnectionStatus } from '@authmanager/core';

/** Options of the connect page (`page` of `createConnectHandler`). */
export interface ConnectPageOptions {
  /** The page's heading and title. @default 'Connected accounts' */
  readonly title?: string;
  /** A line of text under the heading (escaped). */
  readonly description?: string;
  /**
   * HTML of your own for the page's header bar, e.g. a sign-out or account switcher form. It is
   * inserted as is: escape what you put in it ({@link escapeHtml}). The page's CSP allows no
   * script and no style attribute; forms may post to your own origin only.
   */
  readonly header?: (context: { readonly subject: string; readonly csrfToken: string }) => string;
}

/** A one-line message at the top of the page. */
export interface PageMessage {
  readonly level: 'success' | 'error';
  /** One sentence (escaped when rendered). */
  readonly text: string;
}

/** One registered provider, as the page shows it. */
export interface PageProvider {
  readonly id: string;
  readonly displayName: string;
  /** Whether Connect can start (an OAuth flow and its app credentials are there). */
  readonly connectable: boolean;
  /** Environment variables still to set, e.g. `['ACME_CLIENT_ID', 'ACME_CLIENT_SECRET']`. */
  readonly missingEnv: readonly string[];
  /** Whether Disconnect revokes at the provider (else it only deletes the stored credential). */
  readonly revocable: boolean;
  /** The subject's connection, when there is one. */
  readonly connection?: ConnectionInfo;
  /** The redirect URI to register at the provider (RFC 6749 §3.1.2), for providers with an OAuth flow. */
  readonly redirectUri?: string;
  /** Per-connection values Connect asks for (Shopify `shop`), from the provider's `connectionConfig`. */
  readonly connectionVariables?: readonly { readonly name: string; readonly description: string; readonly example?: string }[];
}

/** Everything the page shows. */
export interface ConnectPageView {
  readonly options: ConnectPageOptions;
  readonly basePath: string;
  readonly subject: string;
  readonly csrfToken: string;
  readonly providers: readonly PageProvider[];
  readonly message?: PageMessage;
  /** Server time, epoch milliseconds (expiries are shown relative to it). */
  readonly nowMs: number;
}

/** A rendered page and the nonce its `<style>` carries (the CSP must name it). */
export interface RenderedPage {
  readonly html: string;
  readonly styleNonce: string;
  /** The nonce of the page's one script (the Copy buttons), when it has one. */
  readonly scriptNonce?: string;
}

/**
 * The Copy buttons: copies the named input's value (the redirect URI) to the clipboard and says so.
 * Without script the input is still there to select by hand.
 */
const COPY_SCRIPT = `for (const b of document.querySelectorAll('button[data-copy]')) b.addEventListener('click', async () => {
  const input = document.getElementById(b.dataset.copy); const label = b.firstChild;
  try { await navigator.clipboard.writeText(input.value); label.textContent = 'Copied'; }
  catch { input.select(); label.textContent = 'Press Ctrl+C'; }
  setTimeout(() => { label.textContent = 'Copy'; }, 2000);
});`;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and quoted attribute values.
 * @param value - any text
 * @returns the text with `& < > " '` replaced by character references
 * @example
 * ```ts
 * escapeHtml('<b>"hi"</b>'); // '&lt;b&gt;&quot;hi&quot;&lt;/b&gt;'
 * ```
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * How long until (or since) an expiry, for people: `in 45 s`, `in 59 min`, `in 2 h 5 min`,
 * `in 3 days`, `expired 4 min ago`.
 * @param expiresAtMs - epoch milliseconds
 * @param nowMs - epoch milliseconds
 */
export function formatExpiry(expiresAtMs: number, nowMs: number): string {
  const leftMs = expiresAtMs - nowMs;
  const s = Math.round(Math.abs(leftMs) / 1000);
  let text: string;
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 86_400) text = `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  else text = `${Math.floor(s / 86_400)} day${Math.floor(s / 86_400) === 1 ? '' : 's'}`;
  return leftMs > 0 ? `in ${text}` : `expired ${text} ago`;
}

const STATUS_LABEL: Readonly<Record<ConnectionStatus, string>> = {
  active: 'Connected',
  refresh_failed: 'Refresh failed',
  reauthorization_required: 'Reconnect needed',
  revoked: 'Revoked',
};

// Colours meet WCAG 2.1 AA (4.5:1 for text) on their backgrounds; the Chromium test measures them.
const STYLE = `
:root { color-scheme: light; --text: #111827; --muted: #4b5563; --border: #d1d5db; --accent: #1d4ed8; --ok: #065f46; --bad: #991b1b; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f3f4f6; color: var(--text); overflow-wrap: anywhere; }
.app-header { background: #111827; color: #f9fafb; }
.app-header .bar { max-width: 880px; margin: 0 auto; padding: 14px 20px; display: flex; flex-wrap: wrap; gap: 10px 20px; align-items: center; }
.app-header h1 { font-size: 1.15rem; margin: 0; flex: 1 1 auto; }
.app-header form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; max-width: 100%; }
.app-header label, .app-header .note { font-size: .875rem; color: #e5e7eb; }
.app-header input[type=text] { font: inherit; font-size: .875rem; padding: 5px 8px; border-radius: 6px; border: 1px solid #9ca3af; background: #1f2937; color: #f9fafb; width: 14em; max-width: 100%; min-width: 0; }
main { max-width: 880px; margin: 0 auto; padding: 20px; }
.lead { margin: 0 0 16px; color: var(--muted); }
.lead strong { color: var(--text); }
.message { border-radius: 10px; padding: 12px 16px; margin: 0 0 16px; border: 1px solid; }
.message p { margin: 0; }
.message.success { background: #ecfdf5; border-color: #6ee7b7; color: var(--ok); }
.message.error { background: #fef2f2; border-color: #fca5a5; color: var(--bad); }
ul.providers { list-style: none; margin: 0; padding: 0; display: grid; gap: 12px; }
.provider { background: #fff; border: 1px solid var(--border); border-radius: 10px; padding: 14px 16px; }
.provider-head { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline; }
.provider h2 { font-size: 1.05rem; margin: 0; }
.status { font-size: .8125rem; font-weight: 600; border-radius: 999px; padding: 1px 10px; border: 1px solid; }
.status-active { color: var(--ok); background: #ecfdf5; border-color: #6ee7b7; }
.status-none, .status-unconfigured { color: var(--muted); background: #f9fafb; border-color: var(--border); }
.status-refresh_failed, .status-reauthorization_required, .status-revoked { color: var(--bad); background: #fef2f2; border-color: #fca5a5; }
dl.details { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0 0; font-size: .9375rem; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; min-width: 0; }
.scope { display: inline-block; font-size: .8125rem; background: #eef2ff; color: #1e3a8a; border-radius: 4px; padding: 0 6px; margin: 0 4px 4px 0; }
.expired { color: var(--bad); }
.hint { color: var(--muted); margin: 8px 0 0; font-size: .9375rem; }
.redirect { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-top: 8px; font-size: .875rem; }
.redirect label { flex: 1 1 100%; color: var(--muted); }
.redirect input { flex: 1 1 12em; min-width: 0; font-family: ui-monospace, monospace; font-size: .8125rem; }
form.tenant { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
form.tenant label { flex: 1 1 100%; font-size: .875rem; color: var(--muted); }
form.tenant input { flex: 1 1 8em; min-width: 0; }
.hint code { font-size: .875rem; background: #f3f4f6; border-radius: 4px; padding: 0 4px; color: var(--text); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
.actions form { margin: 0; }
.button, button { display: inline-flex; align-items: center; font: inherit; font-size: .9375rem; font-weight: 600; line-height: 1.4; padding: 7px 14px; min-height: 40px; border-radius: 6px; border: 1px solid var(--border); background: #fff; color: var(--text); cursor: pointer; text-decoration: none; }
.button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.button.danger { color: var(--bad); border-color: #fca5a5; }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.empty { color: var(--muted); }
a.back { color: var(--accent); }
@media (max-width: 480px) {
  .app-header .bar { padding: 12px 14px; }
  .app-header form { flex: 1 1 100%; }
  .app-header input[type=text] { flex: 1 1 8em; width: auto; }
  main { padding: 12px; }
  dl.details { grid-template-columns: 1fr; }
  dl.details dd { margin-bottom: 6px; }
}
`;

function head(title: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>`;
}

function renderMessage(message: PageMessage | undefined): string {
  if (!message) return '';
  // An error interrupts (alert); a success is announced politely (status).
  const role = message.level === 'error' ? 'alert' : 'status';
  return `<div class="message ${message.level}" id="message" role="${role}"><p>${escapeHtml(message.text)}</p></div>`;
}

function renderProvider(p: PageProvider, view: ConnectPageView): string {
  const id = escapeHtml(p.id);
  const path = `${view.basePath}/${encodeURIComponent(p.id)}`;
  const returnTo = view.basePath;
  const name = escapeHtml(p.displayName);
  const c = p.connection;
  const statusKey = c ? c.status : p.connectable ? 'none' : 'unconfigured';
  const statusLabel = c ? STATUS_LABEL[c.status] : p.connectable ? 'Not connected' : 'Not set up';
  const details: string[] = [];
  if (c) {
    const account = c.account?.label ?? c.account?.id;
    details.push(`<div><dt>Account</dt><dd class="account">${account ? escapeHtml(account) : 'unknown'}</dd></div>`);
    const expiry = c.expiresAt
      ? `<time datetime="${escapeHtml(c.expiresAt.toISOString())}"${c.expiresAt.getTime() <= view.nowMs ? ' class="expired"' : ''}>${escapeHtml(formatExpiry(c.expiresAt.getTime(), view.nowMs))}</time>`
      : 'never';
    details.push(`<div><dt>Access token expires</dt><dd class="expiry">${expiry}</dd></div>`);
    const scopes = c.scopes && c.scopes.length > 0 ? c.scopes.map((s) => `<span class="scope">${escapeHtml(s)}</span>`).join('') : 'none reported';
    details.push(`<div><dt>Scopes</dt><dd class="scopes">${scopes}</dd></div>`);
    if (c.lastErrorCode) details.push(`<div><dt>Last error</dt><dd><code>${escapeHtml(c.lastErrorCode)}</code></dd></div>`);
  }
  const actions: string[] = [];
  if (p.connectable && p.connectionVariables && p.connectionVariables.length > 0) {
    // Per-tenant providers: the values go with the connect request (`connection.<name>`), checked by core.
    const label = c ? 'Reconnect' : 'Connect';
    actions.push(`<form method="get" class="tenant" action="${escapeHtml(`${path}/connect`)}"><input type="hidden" name="returnTo" value="${escapeHtml(returnTo)}">`
      + p.connectionVariables.map((v) => {
        const field = `connection-${id}-${escapeHtml(v.name)}`;
        return `<label for="${field}">${escapeHtml(v.description)}</label><input type="text" id="${field}" name="connection.${escapeHtml(v.name)}" required maxlength="253"${v.example ? ` placeholder="${escapeHtml(v.example)}"` : ''}>`;
      }).join('')
      + `<button type="submit" class="button primary" id="connect-${id}">${label}<span class="visually-hidden"> ${name}</span></button></form>`);
  } else if (p.connectable) {
    const label = c ? 'Reconnect' : 'Connect';
    actions.push(`<a class="button primary" id="connect-${id}" href="${escapeHtml(`${path}/connect?returnTo=${encodeURIComponent(returnTo)}`)}">${label}<span class="visually-hidden"> ${name}</span></a>`);
  }
  // The redirect URI to register, selectable as it is; the Copy button is the page's one script.
  const redirect = p.redirectUri === undefined ? ''
    : `<div class="redirect"><label for="redirect-${id}">Redirect URI to register</label>`
      + `<input type="text" readonly id="redirect-${id}" value="${escapeHtml(p.redirectUri)}">`
      + `<button type="button" class="button copy" data-copy="redirect-${id}" id="copy-${id}">Copy<span class="visually-hidden"> the ${name} redirect URI</span></button></div>`;
  if (c) {
    actions.push(`<form method="post" action="${escapeHtml(`${path}/disconnect`)}">`
      + `<input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}"><input type="hidden" name="returnTo" value="${escapeHtml(returnTo)}">`
      + `<button type="submit" class="button danger" id="disconnect-${id}">Disconnect<span class="visually-hidden"> ${name}</span></button></form>`);
  }
  const hint = !p.connectable && p.missingEnv.length > 0
    ? `<p class="hint" id="hint-${id}">Set ${p.missingEnv.map((e) => `<code>${escapeHtml(e)}</code>`).join(' and ')} to enable.</p>`
    : !p.connectable ? `<p class="hint" id="hint-${id}">${name} has no OAuth flow to connect with.</p>` : '';
  const revokeNote = c && !p.revocable ? `<p class="hint">${name} has no token revocation: Disconnect deletes the stored credential only.</p>` : '';
  return `<li class="provider" data-provider="${id}" id="provider-${id}" aria-labelledby="name-${id}">`
    + `<div class="provider-head"><h2 id="name-${id}">${name}</h2><span class="status status-${statusKey}" id="status-${id}">${statusLabel}</span></div>`
    + (details.length > 0 ? `<dl class="details">${details.join('')}</dl>` : '')
    + hint + (c ? '' : redirect) + revokeNote
    + (actions.length > 0 ? `<div class="actions">${actions.join('')}</div>` : '')
    + '</li>';
}

/**
 * The connect page: the subject's connections (provider, account, status, access-token expiry,
 * scopes) with Connect / Reconnect links and Disconnect buttons, and the last action's message.
 * Server-rendered; one `<style>` and one `<script>` (the redirect URIs' Copy buttons, which the page
 * works without) allowed by nonce; everything not a literal of this file escaped; labelled controls, visible focus, AA contrast; one column on phones.
 *
 * @param view - what to show
 * @returns the HTML and its style nonce, for the `Content-Security-Policy`
 */
export function renderConnectPage(view: ConnectPageView): RenderedPage {
  const styleNonce = randomBytes(16).toString('base64url');
  const title = view.options.title ?? 'Connected accounts';
  const header = view.options.header?.({ subject: view.subject, csrfToken: view.csrfToken }) ?? '';
  const items = view.providers.map((p) => renderProvider(p, view)).join('');
  const scriptNonce = items.includes('data-copy=') ? randomBytes(16).toString('base64url') : undefined;
  const html = `${head(title, styleNonce)}
<body>
<header class="app-header"><div class="bar"><h1>${escapeHtml(title)}</h1>${header}</div></header>
<main id="main">
${renderMessage(view.message)}
<p class="lead">Signed in as <strong id="current-subject">${escapeHtml(view.subject)}</strong>.${view.options.description ? ` ${escapeHtml(view.options.description)}` : ''}</p>
${items ? `<ul class="providers" id="providers" aria-label="Providers">${items}</ul>` : '<p class="empty">No providers are registered.</p>'}
</main>
${scriptNonce ? `<script nonce="${scriptNonce}">${COPY_SCRIPT}</script>
` : ''}</body>
</html>`;
  return { html, styleNonce, ...(scriptNonce ? { scriptNonce } : {}) };
}

/**
 * A small page for answers that cannot show the connect page (not signed in, a refused form).
 * @param view - title, one sentence, and where the back link goes
 */
export function renderMessagePage(view: { readonly title: string; readonly message: string; readonly backHref: string }): RenderedPage {
  const styleNonce = randomBytes(16).toString('base64url');
  const html = `${head(view.title, styleNonce)}
<body>
<header class="app-header"><div class="bar"><h1>${escapeHtml(view.title)}</h1></div></header>
<main id="main"><div class="message error" id="message" role="alert"><p>${escapeHtml(view.message)}</p></div>
<p><a class="back" href="${escapeHtml(view.backHref)}">Go back</a></p></main>
</body>
</html>`;
  return { html, styleNonce };
}
