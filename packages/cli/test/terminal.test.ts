import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { followAuthorization, startSandboxProvider, type SandboxProvider } from '@authmanager/testing';
import { BIN, workspace, writeSandboxConfig, type Workspace } from './helpers.js';

const PORT = 20000 + ((process.pid + 13) % 20000);
const SOCKET = `authmanager-cli-test-${process.pid}`;
const SPINNER_FRAMES = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the authorization/;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

/** The screen as a person sees it (`-J` joins wrapped lines; `-e` keeps colour escapes). */
function screen(escapes = false): string {
  return tmux('capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-t', 'cli');
}

async function waitForScreen(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`screen never showed ${pattern}:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let typed = 0;
/**
 * Types a command and Enter; `clear` first so each capture holds one command's output.
 * @returns what its end looks like on screen: `exit<n>=<code>`, numbered so an earlier command's end never matches
 */
function type(command: string): RegExp {
  typed += 1;
  tmux('send-keys', '-t', 'cli', `clear; ${command}; echo "exit${typed}=$?"`, 'Enter');
  return new RegExp(`exit${typed}=\\d+`);
}

describe('what a person sees in a terminal (tmux, 120x40)', () => {
  let server: SandboxProvider;
  let ws: Workspace;
  const redirectUri = `http://127.0.0.1:${PORT}/callback`;
  let waiting: string;
  let connected: string;
  let table: string;
  let tableEscapes: string;
  let piped: string;
  let refused: string;
  let shown: string;

  beforeAll(async () => {
    server = await startSandboxProvider({ interactive: false, redirectUris: [redirectUri] });
    ws = await workspace();
    await writeSandboxConfig(ws, server.issuer, redirectUri);
    // A clean shell: no CI (spinners stay off under CI), a colour terminal.
    tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'cli',
      `env -i PATH='${process.env.PATH}' HOME='${ws.home}' TERM=xterm-256color LANG=C.UTF-8 PS1='$ ' bash --norc --noprofile`);
    tmux('send-keys', '-t', 'cli', `cd '${ws.project}'`, 'Enter');
    const node = process.execPath;
    const connectEnd = type(`'${node}' '${BIN}' connect sandbox`);
    waiting = await waitForScreen(SPINNER_FRAMES);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(waiting)![1]!;
    await fetch(await followAuthorization(url, redirectUri));
    connected = await waitForScreen(connectEnd);
    table = await waitForScreen(type(`'${node}' '${BIN}' list`));
    tableEscapes = screen(true);
    await waitForScreen(type(`'${node}' '${BIN}' list | cat`));
    piped = screen(true);
    refused = await waitForScreen(type(`'${node}' '${BIN}' token sandbox`));
    shown = await waitForScreen(type(`'${node}' '${BIN}' token sandbox --show`));
  });
  afterAll(async () => {
    try { tmux('kill-server'); } catch { /* already gone */ }
    await server?.close();
    await ws?.cleanup();
  });

  it('connect shows the URL and a spinner while it waits', () => {
    expect(waiting).toContain('Open this URL to connect Sandbox:');
    expect(waiting).toMatch(SPINNER_FRAMES);
  });

  it('then a success line in place of the spinner, and exit 0', () => {
    expect(connected).toMatch(/✔ Connected Sandbox as sandbox-user for subject default/);
    expect(connected).not.toMatch(SPINNER_FRAMES);
    expect(connected).toContain('exit1=0');
  });

  it('list draws a table with the connection', () => {
    expect(table).toMatch(/┌─+┬/);
    expect(table).toMatch(/│ provider +│ subject +│ account +│ status +│ expires in +│ scopes +│/);
    expect(table).toMatch(/│ sandbox +│ default +│ sandbox-user +│ active +│ (59m|1h 0m) +│ openid profile offline_access api:read +│/);
  });

  it('on a terminal the status is coloured; piped, there are no colours', () => {
    expect(tableEscapes).toMatch(/\u001b\[(3|9)2m\s*active/);
    expect(piped).toMatch(/│ active +│/);
    expect(piped).not.toMatch(/\u001b\[(3|9)\dm/);
  });

  it('token refuses to print to a terminal without --show: exit 9 and what to do', () => {
    expect(refused).toMatch(/error: refusing to print an access token to a terminal — add --show to print it anyway/);
    expect(refused).toContain('exit4=9');
  });

  it('with --show it prints the token', () => {
    expect(shown).toMatch(/^[\w-]{20,}\nexit5=0$/m);
  });
});
