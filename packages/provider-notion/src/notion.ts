import {
  AuthManagerError, ErrorCode, appField, defineProvider, oauthClientFields, requireAppField, z,
  type AppCredentialFields, type AppCredentialsOf, type OAuth2Hooks, type ProviderDefinition, type RevokeHook,
} from '@authmanager/core/provider';
import type { Client } from '@notionhq/client';

const AUTHORIZATION_URL = 'https://api.notion.com/v1/oauth/authorize';
const TOKEN_URL = 'https://api.notion.com/v1/oauth/token';
const REVOCATION_URL = 'https://api.notion.com/v1/oauth/revoke';
const INTROSPECTION_URL = 'https://api.notion.com/v1/oauth/introspect';
const API_BASE_URL = 'https://api.notion.com/v1';

/**
 * The `Notion-Version` sent when none is configured: the version `@notionhq/client` v5 sends by
 * default and the one Notion's OAuth reference pages list.
 * @see https://developers.notion.com/reference/versioning
 */
export const NOTION_DEFAULT_VERSION = '2025-09-03';

/** Who owns a Notion connection (`owner` in the token response). */
export type NotionOwner =
  | {
      readonly type: 'user';
      readonly user: {
        readonly object: 'user';
        readonly id: string;
        readonly type?: 'person';
        readonly name?: string | null;
        readonly avatar_url?: string | null;
        readonly person?: { readonly email?: string };
      };
    }
  | { readonly type: 'workspace'; readonly workspace: true };

/**
 * Notion's fields of a token response, kept on `credentials.extras` under their wire names.
 * Absent for static (internal integration) tokens.
 * @see https://developers.notion.com/reference/create-a-token
 */
export interface NotionUserCredentialExtras {
  /** The connection's bot user id: stable per workspace; the account id. */
  readonly bot_id?: string;
  readonly workspace_id?: string;
  readonly workspace_name?: string | null;
  /** URL, emoji or `null`. */
  readonly workspace_icon?: string | null;
  readonly owner?: NotionOwner;
  /** Set when the user duplicated the connection's template page. */
  readonly duplicated_template_id?: string | null;
}

const appCredentials = {
  authorizationUrl: appField({
    schema: z.url(), env: ['NOTION_AUTHORIZATION_URL', 'NOTION_AUTHORIZE_URL'], default: AUTHORIZATION_URL,
    description: 'OAuth authorization endpoint.',
  }),
  tokenUrl: appField({
    schema: z.url(), env: ['NOTION_TOKEN_URL', 'NOTION_ACCESS_TOKEN_URL'], default: TOKEN_URL,
    description: 'Token endpoint (code exchange and refresh).',
  }),
  revocationUrl: appField({ schema: z.url(), env: ['NOTION_REVOCATION_URL'], default: REVOCATION_URL, description: 'Token revocation endpoint.' }),
  introspectionUrl: appField({ schema: z.url(), env: ['NOTION_INTROSPECTION_URL'], default: INTROSPECTION_URL, description: 'Token introspection endpoint.' }),
  apiBaseUrl: appField({ schema: z.url(), env: ['NOTION_API_BASE_URL'], default: API_BASE_URL, description: 'API base URL (ends in `/v1`).' }),
  ...oauthClientFields('NOTION'),
  token: appField({
    schema: z.string().min(1).optional(), env: ['NOTION_TOKEN', 'NOTION_INTEGRATION_TOKEN'], secret: true,
    description: 'Internal integration token (`ntn_…` / `secret_…`): static-token mode, no OAuth.',
  }),
  version: appField({
    schema: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2025-09-03'), env: ['NOTION_VERSION', 'NOTION_API_VERSION'],
    default: NOTION_DEFAULT_VERSION, description: '`Notion-Version` header on OAuth requests and API calls.',
  }),
} satisfies AppCredentialFields;

/** The resolved app credentials of the Notion provider. */
export type NotionAppCredentials = AppCredentialsOf<typeof appCredentials>;

/** Basic client authentication, JSON body and `Notion-Version`: what every Notion OAuth endpoint wants. */
function oauthHeaders(app: NotionAppCredentials): Record<string, string> {
  const id = requireAppField('notion', appCredentials, 'clientId', app.clientId);
  const secret = requireAppField('notion', appCredentials, 'clientSecret', app.clientSecret);
  return {
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
    'content-type': 'application/json',
    'notion-version': app.version,
  };
}

/**
 * Quirk: Notion's token and introspection endpoints take HTTP Basic client authentication with a
 * JSON body (a form body is refused) and want `Notion-Version`. openid-client sends a form body,
 * so its parameters are moved into a JSON object.
 * @see https://developers.notion.com/reference/create-a-token
 * @see https://developers.notion.com/reference/introspect-token
 */
const jsonBodyWithBasicAuth: NonNullable<OAuth2Hooks<NotionAppCredentials>['prepareRequest']> = (request, { app }) => {
  const body = request.init.body;
  const params = new URLSearchParams(typeof body === 'string' || body instanceof URLSearchParams ? body : undefined);
  const headers = new Headers(request.init.headers);
  for (const [name, value] of Object.entries(oauthHeaders(app))) headers.set(name, value);
  return { url: request.url, init: { ...request.init, headers, body: JSON.stringify(Object.fromEntries(params)) } };
};

/**
 * Quirk: Notion's token response types `refresh_token` as `string | null`; openid-client rejects a
 * non-string `refresh_token`, so a `null` one is removed (the credential then has no refresh token).
 * @see https://developers.notion.com/reference/create-a-token
 */
const nullRefreshTokenAsAbsent: NonNullable<OAuth2Hooks<NotionAppCredentials>['processResponse']> = async (response, request, { app }) => {
  if (!response.ok || request.url.href !== new URL(app.tokenUrl).href) return response;
  const json = await response.clone().json().catch(() => undefined) as Record<string, unknown> | undefined;
  if (json?.refresh_token !== null) return response;
  delete json.refresh_token;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(JSON.stringify(json), { status: response.status, statusText: response.statusText, headers });
};

/**
 * Quirk: Notion revokes with `POST /v1/oauth/revoke`, Basic client authentication and a JSON body
 * `{"token": <access token>}`; revoking it ends the connection (refresh token included). One request,
 * not RFC 7009's form-encoded pair.
 * @see https://developers.notion.com/reference/revoke-token
 */
const revokeConnection: RevokeHook<NotionAppCredentials> = async ({ app, fetch, credentials }) => {
  const response = await fetch(app.revocationUrl, {
    method: 'POST', headers: oauthHeaders(app), body: JSON.stringify({ token: credentials.accessToken }),
  });
  if (!response.ok) throw new Error(`Notion answered HTTP ${response.status} to the revocation`, { cause: response });
  await response.body?.cancel();
};

const notionDefinition = {
  id: 'notion',
  displayName: 'Notion',
  appCredentials,
  oauth2: {
    server: (app) => ({
      authorizationEndpoint: app.authorizationUrl,
      tokenEndpoint: app.tokenUrl,
      introspectionEndpoint: app.introspectionUrl,
    }),
    clientAuthentication: 'client_secret_basic',
    // No scopes: the user picks pages during consent. `owner=user` is required.
    // https://developers.notion.com/guides/get-started/authorization
    authorizationParams: { owner: 'user' },
    // The token endpoint documents no `code_verifier` parameter.
    pkce: false,
    revocation: revokeConnection,
    introspection: 'rfc7662',
    hooks: { prepareRequest: jsonBodyWithBasicAuth, processResponse: nullRefreshTokenAsAbsent },
  },
  staticToken: (app) => (app.token ? { accessToken: app.token } : undefined),
  userCredentials: { extras: ['bot_id', 'workspace_id', 'workspace_name', 'workspace_icon', 'owner', 'duplicated_template_id'] },
  api: {
    baseUrl: ({ app }) => app.apiBaseUrl,
    headers: ({ app }) => ({ 'Notion-Version': app.version }),
  },
  account: (credentials) => {
    const { bot_id: id, workspace_name: label } = credentials.extras;
    return id ? { id, ...(label ? { label } : {}) } : undefined;
  },
  client: async (ctx): Promise<Client> => {
    let sdk: typeof import('@notionhq/client');
    try {
      sdk = await import('@notionhq/client');
    } catch (cause) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'session.notion.client() needs the optional peer dependency @notionhq/client: install it', { cause, provider: 'notion' });
    }
    // Every SDK request goes through the session: current token, Notion-Version, one refresh + retry on 401.
    return new sdk.Client({
      baseUrl: ctx.app.apiBaseUrl.replace(/\/v1\/?$/, ''),
      notionVersion: ctx.app.version,
      fetch: (url, init) => ctx.fetch(url, init as RequestInit),
    });
  },
} satisfies ProviderDefinition<'notion', typeof appCredentials, NotionUserCredentialExtras>;

/**
 * The Notion provider: public-connection OAuth (authorization code, refresh, revocation,
 * introspection), internal integration tokens, the REST API at `https://api.notion.com/v1` and
 * `@notionhq/client`.
 *
 * App credentials (constructor value, else env key, else default): `clientId` (`NOTION_CLIENT_ID`),
 * `clientSecret` (`NOTION_CLIENT_SECRET`), `redirectUri` (`NOTION_REDIRECT_URI`), `token`
 * (`NOTION_TOKEN` / `NOTION_INTEGRATION_TOKEN`), `version` (`NOTION_VERSION` / `NOTION_API_VERSION`,
 * default {@link NOTION_DEFAULT_VERSION}), and endpoint overrides `authorizationUrl`
 * (`NOTION_AUTHORIZATION_URL` / `NOTION_AUTHORIZE_URL`), `tokenUrl` (`NOTION_TOKEN_URL` /
 * `NOTION_ACCESS_TOKEN_URL`), `revocationUrl`, `introspectionUrl`, `apiBaseUrl`.
 *
 * @param appCredentials - any of the fields above; the rest come from env keys and defaults
 * @returns a registration for `new AuthManager({ providers: [...] })`
 * @throws AuthManagerError `CONFIGURATION` (when first used) naming a malformed field and its env keys
 * @see https://developers.notion.com/guides/get-started/authorization
 * @example
 * ```ts
 * const auth = new AuthManager({ providers: [notion({ clientId: '…', clientSecret: '…', redirectUri: 'https://app.example/callback' })] });
 * const { url } = await auth.notion.oauth2.authorize({ subject: 'user-1' });
 * ```
 */
export const notion = defineProvider(notionDefinition);
