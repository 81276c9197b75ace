/**
 * HTML for the sandbox authorization server's interactive pages: sign-in, consent and error.
 * Element names and ids are stable because browser tests click through them:
 * input `name="login"` (id `login`), buttons `#sign-in`, `#cancel`, `#approve`, `#deny`.
 *
 * @internal Used by `startSandboxProvider`; not exported from the package.
 */

/** What each supported scope lets the client do, worded for the person on the consent page. */
const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Know who you are (your user identifier)',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Keep access while you are away (a refresh token)',
  'api:read': 'Read your data through the sandbox API',
};

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE = `
  :root { color-scheme: light dark; --accent: #2f6fde; --muted: #6b7280; --border: #d1d5db; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px;
    font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f3f4f6; color: #111827; }
  main { width: 100%; max-width: 420px; background: #fff; border: 1px solid var(--border);
    border-radius: 12px; padding: 32px; box-shadow: 0 10px 30px rgba(0,0,0,.06);
    overflow-wrap: anywhere; /* a username or client id without spaces must not widen the page */ }
  @media (max-width: 480px) { body { padding: 12px; } main { padding: 20px; } }
  .badge { display: inline-block; font-size: 12px; letter-spacing: .04em; text-transform: uppercase;
    color: var(--accent); background: #e8f0fe; border-radius: 999px; padding: 2px 10px; }
  h1 { font-size: 22px; margin: 12px 0 4px; }
  p { margin: 0 0 16px; color: var(--muted); }
  label { display: block; font-weight: 600; margin-bottom: 6px; }
  input[type=text] { width: 100%; font: inherit; padding: 10px 12px; border: 1px solid var(--border);
    border-radius: 8px; margin-bottom: 16px; background: inherit; color: inherit; }
  input[type=text]:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
  ul { list-style: none; padding: 0; margin: 0 0 24px; border: 1px solid var(--border); border-radius: 8px; }
  li { padding: 10px 12px; border-top: 1px solid var(--border); }
  li:first-child { border-top: 0; }
  code { font-size: 13px; background: #f3f4f6; border-radius: 4px; padding: 1px 5px; }
  .actions { display: flex; gap: 12px; }
  button { flex: 1; font: inherit; font-weight: 600; padding: 10px 16px; border-radius: 8px;
    border: 1px solid var(--border); background: #fff; color: #111827; cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
  .error { color: #b91c1c; margin-bottom: 16px; }
  footer { margin-top: 24px; font-size: 13px; color: var(--muted); }
  @media (prefers-color-scheme: dark) {
    body { background: #111827; color: #f9fafb; }
    main { background: #1f2937; border-color: #374151; }
    code { background: #374151; }
    button { background: #374151; color: #f9fafb; border-color: #4b5563; }
  }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Sandbox authorization server</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<span class="badge">Sandbox authorization server</span>
${body}
<footer>A test server: any username works and no password is asked.</footer>
</main>
</body>
</html>`;
}

/** Id of the form that Cancel and Deny submit. */
const ABORT_FORM_ID = 'abort-form';

/**
 * Cancel / Deny. It sits beside the primary button but belongs to a form of its own (the `form`
 * attribute): pressing Enter in a form submits that form's first submit button (HTML's implicit
 * submission), and a Cancel inside the sign-in form, placed first, made Enter cancel.
 */
function abortButton(id: string, label: string, action: string): string {
  return `<button type="submit" id="${id}" form="${ABORT_FORM_ID}" formaction="${action}/abort">${label}</button>`;
}

/** The (empty) form behind {@link abortButton}. */
function abortForm(action: string): string {
  return `<form method="post" id="${ABORT_FORM_ID}" action="${action}/abort"></form>`;
}

/** Inputs of {@link renderLoginPage}. */
export interface LoginPageInput {
  /** Interaction path that the form posts to, e.g. `/interaction/<uid>`. */
  readonly actionPath: string;
  readonly clientId: string;
  /** Pre-filled username, e.g. the authorization request's `login_hint`. */
  readonly loginHint?: string | undefined;
  /** Message shown above the form after a rejected submission. */
  readonly error?: string | undefined;
}

/** The sign-in page: a username field (`name="login"`), "Sign in" (`#sign-in`) and "Cancel" (`#cancel`). */
export function renderLoginPage(input: LoginPageInput): string {
  const action = escapeHtml(input.actionPath);
  return layout('Sign in', `
<h1>Sign in</h1>
<p><strong>${escapeHtml(input.clientId)}</strong> wants you to sign in.</p>
${input.error === undefined ? '' : `<div class="error" role="alert">${escapeHtml(input.error)}</div>`}
<form method="post" action="${action}/login" autocomplete="off">
  <label for="login">Username</label>
  <input type="text" id="login" name="login" required autofocus maxlength="200"
    placeholder="sandbox-user" value="${escapeHtml(input.loginHint ?? '')}">
  <div class="actions">
    ${abortButton('cancel', 'Cancel', action)}
    <button type="submit" id="sign-in" class="primary">Sign in</button>
  </div>
</form>
${abortForm(action)}`);
}

/** Inputs of {@link renderConsentPage}. */
export interface ConsentPageInput {
  /** Interaction path that the form posts to, e.g. `/interaction/<uid>`. */
  readonly actionPath: string;
  readonly clientId: string;
  /** The signed-in subject. */
  readonly subject: string;
  /** Requested scopes, in request order. */
  readonly scopes: readonly string[];
}

/** The consent page: client, subject and scopes, with "Approve" (`#approve`) and "Deny" (`#deny`). */
export function renderConsentPage(input: ConsentPageInput): string {
  const action = escapeHtml(input.actionPath);
  const items = input.scopes.length === 0
    ? '<li>No scopes requested</li>'
    : input.scopes
      .map((scope) => `<li><code>${escapeHtml(scope)}</code> ${escapeHtml(SCOPE_DESCRIPTIONS[scope] ?? '')}</li>`)
      .join('\n');
  return layout('Authorize', `
<h1>Authorize ${escapeHtml(input.clientId)}</h1>
<p>Signed in as <strong>${escapeHtml(input.subject)}</strong>. <strong>${escapeHtml(input.clientId)}</strong> asks to:</p>
<ul id="scopes">
${items}
</ul>
<form method="post" action="${action}/confirm">
  <div class="actions">
    ${abortButton('deny', 'Deny', action)}
    <button type="submit" id="approve" name="action" value="approve" class="primary">Approve</button>
  </div>
</form>
${abortForm(action)}`);
}

/** A page for an interaction that can't continue (expired, cookies missing). */
export function renderErrorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
}
