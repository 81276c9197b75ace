/**
 * Server-rendered HTML of the connect demo. Pure functions from a view model to a string: every
 * value that is not a literal of this file goes through {@link escapeHtml}.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
};

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values.
 * @param value - any text
 * @returns the text with `& < > " '` replaced by character references
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A one-shot message shown at the top of the page after a redirect. */
export interface Flash {
  readonly level: 'success' | 'error';
  /** One readable sentence (never a token or secret). */
  readonly message: string;
  /** The answer of a provider's API, for "Call API". */
  readonly apiResponse?: ApiResponseView;
}

/** What a provider's probe endpoint answered. */
export interface ApiResponseView {
  readonly provider: string;
  /** The request, e.g. `GET /api/me`. */
  readonly request: string;
  /** HTTP status. */
  readonly status: number;
  /** The body, pretty-printed when it is JSON, truncated when long. */
  readonly body: string;
}

/** A stored connection of the current subject, as displayed (no secrets). */
export interface ConnectionView {
  /** Who the credential belongs to upstream, when the provider says. */
  readonly accountLabel?: string;
  /** `redactToken(accessToken)`. */
  readonly redactedAccessToken: string;
  readonly hasRefreshToken: boolean;
  /** Absent for tokens that never expire. */
  readonly expiresAt?: Date;
  readonly obtainedAt: Date;
  readonly scopes: readonly string[];
}

/** One registered provider, as displayed. */
export interface ProviderView {
  readonly id: string;
  readonly displayName: string;
  /** `"set NOTION_CLIENT_ID and NOTION_CLIENT_SECRET to enable"` while app credentials are missing. */
  readonly setupHint?: string;
  /** The stored connection, or why it could not be read. */
  readonly connection?: ConnectionView | { readonly error: string };
  /** Path or URL of the probe endpoint behind "Call API", when the demo knows one. */
  readonly probePath?: string;
  /** Whether "Disconnect" revokes at the provider (else it only deletes the stored credential). */
  readonly revocable: boolean;
}

/** Everything the home page shows. */
export interface HomePageView {
  readonly subject: string;
  readonly storeLabel: string;
  readonly csrfToken: string;
  /** CSP nonce of the inline script. */
  readonly scriptNonce: string;
  readonly providers: readonly ProviderView[];
  readonly flash?: Flash;
  /** Server time the page was rendered, epoch milliseconds (the countdown starts from it). */
  readonly nowMs: number;
}

const STYLE = `
  :root { color-scheme: light; --accent: #2f6fde; --muted: #6b7280; --border: #d1d5db; --ok: #047857; --bad: #b91c1c; }
  * { box-sizing: border-box; }
  /* Subjects (64 characters) and upstream usernames (the sandbox takes 200) have no spaces to break
     at: let any text break anywhere rather than widen the page. */
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f3f4f6; color: #111827; overflow-wrap: anywhere; }
  header { background: #111827; color: #f9fafb; padding: 16px 24px; display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; }
  header h1 { font-size: 18px; margin: 0; flex: 1 1 auto; }
  header .store { font-size: 13px; background: #374151; border-radius: 999px; padding: 2px 12px; max-width: 100%; }
  header form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; max-width: 100%; }
  header label { font-size: 13px; color: #d1d5db; }
  main { max-width: 980px; margin: 0 auto; padding: 24px; }
  section { background: #fff; border: 1px solid var(--border); border-radius: 10px; padding: 16px 20px; margin-bottom: 20px; }
  h2 { font-size: 16px; margin: 0 0 12px; }
  .flash { border-radius: 10px; padding: 12px 16px; margin-bottom: 20px; border: 1px solid; }
  .flash.success { background: #ecfdf5; border-color: #a7f3d0; color: var(--ok); }
  .flash.error { background: #fef2f2; border-color: #fecaca; color: var(--bad); }
  ul.providers { list-style: none; margin: 0; padding: 0; }
  ul.providers li { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; padding: 8px 0; border-top: 1px solid #e5e7eb; }
  ul.providers li:first-child { border-top: 0; }
  ul.providers .name { font-weight: 600; min-width: 120px; }
  .hint { color: var(--muted); font-size: 13px; }
  .connected { color: var(--ok); font-size: 13px; }
  table { width: 100%; border-collapse: collapse; font-size: 14px; }
  th, td { text-align: left; padding: 8px 6px; border-top: 1px solid #e5e7eb; vertical-align: top; }
  th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); border-top: 0; }
  td.actions, td.expiry, code.token { white-space: nowrap; }
  td.account { max-width: 16em; }
  /* The countdown changes every second: equal-width digits keep the row from shifting. */
  td.expiry { font-variant-numeric: tabular-nums; }
  td.actions form { display: inline; }
  code { font-size: 13px; background: #f3f4f6; border-radius: 4px; padding: 1px 5px; }
  .scope { display: inline-block; font-size: 12px; background: #eef2ff; border-radius: 4px; padding: 0 6px; margin: 0 4px 4px 0; }
  .expired { color: var(--bad); }
  button { font: inherit; font-size: 13px; font-weight: 600; padding: 5px 12px; border-radius: 6px; border: 1px solid var(--border); background: #fff; color: #111827; cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  button.danger { color: var(--bad); }
  input[type=text] { font: inherit; font-size: 13px; padding: 4px 8px; border-radius: 6px; border: 1px solid #4b5563; background: #1f2937; color: #f9fafb; width: 14em; max-width: 100%; min-width: 0; }
  pre { background: #111827; color: #e5e7eb; border-radius: 8px; padding: 12px 14px; overflow-x: auto; font-size: 13px; margin: 8px 0 0; }
  .empty { color: var(--muted); margin: 0; }
  /* Phones: the connections table becomes one card per connection, each cell labelled. */
  @media (max-width: 640px) {
    header { padding: 12px 16px; }
    header form { flex: 1 1 100%; }
    header input[type=text] { flex: 1 1 8em; width: auto; }
    main { padding: 12px; }
    section { padding: 12px 14px; }
    #connections, #connections tbody, #connections tr, #connections td { display: block; }
    #connections thead { display: none; }
    #connections tr { border-top: 1px solid #e5e7eb; padding: 8px 0; }
    #connections tr:first-child { border-top: 0; }
    #connections td { border-top: 0; padding: 2px 0; max-width: none; white-space: normal; }
    #connections td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 12px; }
    #connections td:first-child { font-weight: 600; }
    td.actions { display: flex !important; flex-wrap: wrap; gap: 6px; padding-top: 6px !important; }
  }
`;

/**
 * Counts the expiry cells down once a second. Reads `data-expires-at-ms` and the server's clock
 * (`data-server-now-ms`) so a skewed browser clock does not distort it.
 */
const COUNTDOWN_SCRIPT = `
(() => {
  const skewMs = Number(document.body.dataset.serverNowMs) - Date.now();
  const cells = [...document.querySelectorAll('[data-expires-at-ms]')];
  const fmt = (ms) => {
    const s = Math.round(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + r + 's';
  };
  const tick = () => {
    const now = Date.now() + skewMs;
    for (const el of cells) {
      const left = Number(el.dataset.expiresAtMs) - now;
      el.textContent = left > 0 ? 'in ' + fmt(left) : 'expired ' + fmt(left) + ' ago';
      el.classList.toggle('expired', left <= 0);
    }
  };
  tick();
  setInterval(tick, 1000);
})();
`;

/** "in 59m 58s" / "expired 3s ago": the server-side first rendering of a countdown cell. */
export function formatCountdown(expiresAtMs: number, nowMs: number): string {
  const leftMs = expiresAtMs - nowMs;
  const s = Math.round(Math.abs(leftMs) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const text = `${h ? `${h}h ` : ''}${h || m ? `${m}m ` : ''}${s % 60}s`;
  return leftMs > 0 ? `in ${text}` : `expired ${text} ago`;
}

function csrfField(token: string): string {
  return `<input type="hidden" name="csrf" value="${escapeHtml(token)}">`;
}

/** A POST form with a single button. */
function postButton(action: string, csrfToken: string, label: string, attrs: { id: string; className?: string; title?: string }): string {
  const cls = attrs.className ? ` class="${attrs.className}"` : '';
  const title = attrs.title ? ` title="${escapeHtml(attrs.title)}"` : '';
  return `<form method="post" action="${escapeHtml(action)}">${csrfField(csrfToken)}<button type="submit" id="${escapeHtml(attrs.id)}"${cls}${title}>${escapeHtml(label)}</button></form>`;
}

function isConnection(c: ProviderView['connection']): c is ConnectionView {
  return c !== undefined && !('error' in c);
}

function renderFlash(flash: Flash | undefined): string {
  if (!flash) return '';
  const api = flash.apiResponse;
  const response = api
    ? `<div class="api-response" id="api-response"><strong>${escapeHtml(api.provider)}</strong> <code>${escapeHtml(api.request)}</code> → HTTP ${api.status}<pre>${escapeHtml(api.body)}</pre></div>`
    : '';
  return `<div class="flash ${flash.level}" id="flash" role="status"><p style="margin:0">${escapeHtml(flash.message)}</p>${response}</div>`;
}

function renderProvider(p: ProviderView, csrfToken: string): string {
  const id = encodeURIComponent(p.id);
  let action: string;
  if (p.setupHint) {
    action = `<span class="hint" id="hint-${escapeHtml(p.id)}">${escapeHtml(p.setupHint)}</span>`;
  } else {
    const label = isConnection(p.connection) ? 'Reconnect' : 'Connect';
    action = postButton(`/connect/${id}`, csrfToken, label, { id: `connect-${p.id}`, className: 'primary' });
  }
  const status = isConnection(p.connection) ? '<span class="connected">● connected</span>' : '';
  return `<li data-provider="${escapeHtml(p.id)}"><span class="name">${escapeHtml(p.displayName)}</span>${action}${status}</li>`;
}

function renderConnectionRow(p: ProviderView, csrfToken: string, nowMs: number): string {
  const c = p.connection;
  if (c === undefined) return '';
  const name = `<td>${escapeHtml(p.displayName)}</td>`;
  if (!isConnection(c)) {
    return `<tr data-provider="${escapeHtml(p.id)}">${name}<td colspan="5" class="expired">${escapeHtml(c.error)}</td></tr>`;
  }
  const id = encodeURIComponent(p.id);
  const expiry = c.expiresAt
    ? `<span data-expires-at-ms="${c.expiresAt.getTime()}" title="${escapeHtml(c.expiresAt.toISOString())}">${escapeHtml(formatCountdown(c.expiresAt.getTime(), nowMs))}</span>`
    : 'never';
  const scopes = c.scopes.length > 0 ? c.scopes.map((s) => `<span class="scope">${escapeHtml(s)}</span>`).join('') : '<span class="hint">none reported</span>';
  const buttons = [
    p.probePath
      ? postButton(`/call/${id}`, csrfToken, 'Call API', { id: `call-${p.id}`, title: `GET ${p.probePath}` })
      : '',
    c.hasRefreshToken ? postButton(`/refresh/${id}`, csrfToken, 'Refresh now', { id: `refresh-${p.id}` }) : '',
    postButton(`/disconnect/${id}`, csrfToken, 'Disconnect', {
      id: `disconnect-${p.id}`, className: 'danger',
      title: p.revocable ? 'Revoke at the provider and delete the stored credential' : 'Delete the stored credential (the provider has no revocation)',
    }),
  ].join(' ');
  return `<tr data-provider="${escapeHtml(p.id)}">${name}`
    + `<td class="account" data-label="Account">${c.accountLabel ? escapeHtml(c.accountLabel) : '<span class="hint">unknown</span>'}</td>`
    + `<td data-label="Access token"><code class="token">${escapeHtml(c.redactedAccessToken)}</code>${c.hasRefreshToken ? '<br><span class="hint">+ refresh token</span>' : ''}</td>`
    + `<td class="expiry" data-label="Expires">${expiry}</td>`
    + `<td data-label="Scopes">${scopes}</td>`
    + `<td class="actions">${buttons}</td></tr>`;
}

/**
 * The demo's one page: subject switcher, providers with Connect buttons or setup hints, the
 * current subject's connections, and the last action's message.
 */
export function renderHomePage(view: HomePageView): string {
  const rows = view.providers.map((p) => renderConnectionRow(p, view.csrfToken, view.nowMs)).filter(Boolean);
  const connections = rows.length > 0
    ? `<table id="connections"><thead><tr><th>Provider</th><th>Account</th><th>Access token</th><th>Expires</th><th>Scopes</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : `<p class="empty" id="connections-empty">No accounts connected for <code>${escapeHtml(view.subject)}</code> yet. Connect one above.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authmanager connect demo</title>
<style>${STYLE}</style>
</head>
<body data-server-now-ms="${view.nowMs}">
<header>
<h1>authmanager · connect demo</h1>
<span class="store" id="store">Store: ${escapeHtml(view.storeLabel)}</span>
<form method="post" action="/subject">${csrfField(view.csrfToken)}
<label for="subject">Subject</label>
<input type="text" id="subject" name="subject" value="${escapeHtml(view.subject)}" required maxlength="64">
<button type="submit" id="switch-subject">Switch</button>
</form>
</header>
<main>
${renderFlash(view.flash)}
<section>
<h2>Providers</h2>
<ul class="providers" id="providers">${view.providers.map((p) => renderProvider(p, view.csrfToken)).join('')}</ul>
</section>
<section>
<h2>Connected accounts for <code id="current-subject">${escapeHtml(view.subject)}</code></h2>
${connections}
</section>
</main>
<script nonce="${escapeHtml(view.scriptNonce)}">${COUNTDOWN_SCRIPT}</script>
</body>
</html>`;
}

/** A small page for requests that cannot show the home page (unknown provider, bad form). */
export function renderMessagePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · connect demo</title><style>${STYLE}</style></head>
<body><main><section><h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p><p><a href="/">Back to the demo</a></p></section></main></body></html>`;
}
