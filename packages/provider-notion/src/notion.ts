import {
  AuthManagerError, ErrorCode, appField, defineProvider, oauthClientFields, z,
  type AppCredentialFields, type AppCredentialsOf, type ProviderDefinition,
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
    // Every OAuth endpoint takes HTTP Basic client authentication with a JSON body (a form body is
    // refused with 401) and wants `Notion-Version`. The Basic credentials are compared as they are
    // (RFC 7617): form-encoding them first (RFC 6749 §2.3.1) turns a client id's `-` into `%2D`.
    // https://developers.notion.com/reference/create-a-token
    clientAuthentication: 'client_secret_basic',
    tokenRequest: { bodyFormat: 'json', headers: { 'Notion-Version': '{version}' }, basicEncoding: 'rfc7617' },
    // `refresh_token` is typed `string | null`; a `null` one means the connection has none.
    tokenResponse: { nullMeansAbsent: ['refresh_token'] },
    // A refresh returns a new pair; the old refresh token dies.
    // https://developers.notion.com/reference/refresh-a-token
    refreshTokenRotation: 'rotates',
    // No scopes: the user picks pages during consent. `owner=user` is required.
    // https://developers.notion.com/guides/get-started/authorization
    authorizationParams: { owner: 'user' },
    // The token endpoint documents no `code_verifier` parameter.
    pkce: false,
    // One Basic (as-is, like the token endpoint) + JSON `POST {"token": <access token>}`, not
    // RFC 7009's form-encoded pair; it ends the connection, refresh token included.
    // https://developers.notion.com/reference/revoke-token
    revocation: {
      endpoint: (app) => app.revocationUrl,
      token: 'access_token',
      bodyFormat: 'json',
      clientAuthentication: 'client_secret_basic',
    },
    introspection: 'rfc7662',
  },
  staticToken: (app) => (app.token ? { accessToken: app.token } : undefined),
  userCredentials: { extras: ['bot_id', 'workspace_id', 'workspace_name', 'workspace_icon', 'owner', 'duplicated_template_id'] },
  api: {
    baseUrl: ({ app }) => app.apiBaseUrl,
    headers: { 'Notion-Version': '{version}' },
  },
  documentation: {
    urls: [
      'https://developers.notion.com/guides/get-started/authorization',
      'https://developers.notion.com/reference/create-a-token',
      'https://developers.notion.com/reference/refresh-a-token',
      'https://developers.notion.com/reference/revoke-token',
      'https://developers.notion.com/reference/introspect-token',
      'https://developers.notion.com/reference/versioning',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'The token response has no `expires_in`: access tokens are kept until the API answers 401, then refreshed once.',
      'The account is the token response\'s `bot_id` (a typed extra), so no `identity` lookup is declared.',
    ],
  },
  // The token response says who the connection is: `bot_id`, kept as a typed extra.
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
