import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { AuthManager } from '@authmanager/core';
import { notion } from '../src/index.js';
import { startNotionEmulator, type NotionEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';

// The snippets of docs/providers/notion.md are the `#region` blocks below; the last test checks
// that the page shows them verbatim.

const DOC = new URL('../../../docs/providers/notion.md', import.meta.url);
const SELF = new URL(import.meta.url);

/** Sets env keys for the snippets (they read the environment, as an app would) and restores them. */
function withEnv(values: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

describe('docs/providers/notion.md snippets', () => {
  let emu: NotionEmulator;
  let restoreEnv: () => void;
  let flow: { workspace: unknown; botFetch: unknown; botSdk: string };
  let staticMe: unknown;

  beforeAll(async () => {
    emu = await startNotionEmulator();
    restoreEnv = withEnv({
      NOTION_CLIENT_ID: emu.clientId,
      NOTION_CLIENT_SECRET: emu.clientSecret,
      NOTION_REDIRECT_URI: 'http://127.0.0.1:9/callback',
      NOTION_AUTHORIZE_URL: emu.appCredentials.authorizationUrl,
      NOTION_ACCESS_TOKEN_URL: emu.appCredentials.tokenUrl,
      NOTION_API_BASE_URL: emu.appCredentials.apiBaseUrl,
    });
    const userApproves = approve; // in an app: the browser comes back to your redirect URI

    // #region flow
    // NOTION_CLIENT_ID, NOTION_CLIENT_SECRET and NOTION_REDIRECT_URI come from the environment.
    const auth = new AuthManager({ providers: [notion()] });

    // Step 1: send the user to Notion's consent screen
    const { url } = await auth.notion.oauth2.authorize({ subject: 'workspace-123' });

    // Step 2: your redirect URI handler exchanges the code and stores the credentials
    const callbackUrl = await userApproves(url); // the URL Notion sends the browser back to: ?code=…&state=…
    const { credentials } = await auth.notion.oauth2.complete({ callbackUrl });
    const workspace = credentials.extras.workspace_name; // typed extras: bot_id, workspace_id, owner…

    // Step 3: use Notion
    await using session = await auth.session('workspace-123');
    const me = await (await session.fetch('notion', '/users/me')).json();
    const client = await session.notion.client(); // @notionhq/client, authenticated
    const bot = await client.users.me({});
    // #endregion flow
    flow = { workspace, botFetch: (me as { id: unknown }).id, botSdk: bot.id };

    restoreEnv();
    restoreEnv = withEnv({ NOTION_TOKEN: emu.staticTokens[0]!, NOTION_API_BASE_URL: emu.appCredentials.apiBaseUrl });
    // #region static
    // NOTION_TOKEN (or NOTION_INTEGRATION_TOKEN) holds the internal integration token.
    const internal = new AuthManager({ providers: [notion()] });
    await using integration = await internal.session('any-subject');
    const res = await integration.fetch('notion', '/users/me');
    // #endregion static
    staticMe = ((await res.json()) as { id: unknown }).id;
    restoreEnv();
  });

  afterAll(async () => {
    await emu.close();
  });

  it('the OAuth flow snippet connects and calls the API with fetch and the SDK', () => {
    expect(flow).toEqual({ workspace: emu.workspaces[0]!.name, botFetch: emu.workspaces[0]!.botId, botSdk: emu.workspaces[0]!.botId });
  });

  it('the static-token snippet calls the API with the integration token', () => {
    expect(staticMe).toBe('internal-integration-bot');
  });

  it('the emulator snippet connects, survives an expired token and shows the wire', async () => {
    // #region emulator
    const emulator = await startNotionEmulator();
    const app = new AuthManager({ providers: [notion(emulator.appCredentials)] }); // client, redirect URI, endpoints
    const { url } = await app.notion.oauth2.authorize({ subject: 'user-1' });
    await app.notion.oauth2.complete({ callbackUrl: await emulator.approve(url) }); // auto-approved: the 302's Location

    emulator.expireAccessTokens(); // the next API call gets 401: the session refreshes once and retries
    await using user = await app.session('user-1');
    const response = await user.fetch('notion', '/users/me');

    expect(response.status).toBe(200);
    expect(emulator.requestCount('token')).toBe(2); // the code exchange and one refresh
    const [exchange] = emulator.requests('token'); // what went over the wire
    expect(exchange!.headers['content-type']).toBe('application/json');
    expect(exchange!.params).toMatchObject({ grant_type: 'authorization_code' });
    await emulator.close();
    // #endregion emulator
  });

  it('the page shows each snippet verbatim', async () => {
    const [doc, self] = await Promise.all([readFile(DOC, 'utf8'), readFile(SELF, 'utf8')]);
    for (const name of ['flow', 'static', 'emulator']) {
      const region = new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`).exec(self)?.[1];
      expect(region).toBeDefined();
      const indent = Math.min(...region!.split('\n').filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
      const snippet = region!.split('\n').map((l) => l.slice(indent)).join('\n');
      expect(doc).toContain(snippet);
    }
  });
});
