import type { z } from 'zod';
import type { Credentials, CredentialsInit } from './Credentials.js';
import type { OriginPattern } from './OriginPattern.js';

/**
 * One app-credential field: the schema its value must pass, where it can come from, its default.
 * @typeParam S - zod schema; use `.optional()` for fields that may be absent
 */
export interface AppCredentialField<S extends z.ZodType = z.ZodType> {
  /** Validates (and may transform) the value. */
  readonly schema: S;
  /** Environment keys read in order, first non-empty wins. Always provider-prefixed (`NOTION_…`). */
  readonly env?: readonly string[];
  /** Used when neither a constructor value nor an env key gives one. */
  readonly default?: z.input<S>;
  /** Never printed (client secrets, static tokens). */
  readonly secret?: boolean;
  /** One line for the docs' App Credentials table. */
  readonly description: string;
}

/** The app-credential fields of a provider, by camelCase name. */
export type AppCredentialFields = Readonly<Record<string, AppCredentialField>>;

/** Resolved, validated app credentials of a provider with fields `F`. */
export type AppCredentialsOf<F extends AppCredentialFields> = { readonly [K in keyof F]: z.output<F[K]['schema']> };

/** Constructor values for app credentials; every field optional (env keys and defaults fill the rest). */
export type AppCredentialsInput<F extends AppCredentialFields> = { readonly [K in keyof F]?: z.input<F[K]['schema']> };

/**
 * RFC 6749 §2.3 / OpenID Connect Core §9 client authentication at the token endpoint.
 * `none` is a public client (PKCE only).
 */
export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** Where a provider's authorization-server metadata comes from. */
export type AuthorizationServer =
  | {
      /** OpenID Connect issuer; metadata is fetched from `/.well-known/openid-configuration`. */
      readonly issuer: string;
      readonly discovery: true;
      /**
       * Where the discovered endpoints may point (Google: `https://*.googleapis.com`, besides the
       * issuer's own origin). When set, a discovery document naming another origin is refused with
       * `PROVIDER_UNAVAILABLE` before any token is sent there. Absent: not checked.
       */
      readonly endpointOrigins?: readonly OriginPattern[];
    }
  | {
      /** Issuer identifier, used for ID-token `iss` checks when the provider has one. */
      readonly issuer?: string;
      readonly discovery?: false;
      /** RFC 6749 §3.1 authorization endpoint. */
      readonly authorizationEndpoint: string;
      /** RFC 6749 §3.2 token endpoint. */
      readonly tokenEndpoint: string;
      /** RFC 7009 revocation endpoint. */
      readonly revocationEndpoint?: string;
      /** RFC 7662 introspection endpoint. */
      readonly introspectionEndpoint?: string;
      /** OpenID Connect UserInfo endpoint. */
      readonly userinfoEndpoint?: string;
      /** JWKS for ID-token signatures. */
      readonly jwksUri?: string;
      /** RFC 8628 §3.1 device authorization endpoint. */
      readonly deviceAuthorizationEndpoint?: string;
    };

/**
 * Values a connection was authorized with, for per-tenant URL templates (Shopify `shop`, Zendesk
 * `subdomain`): given to `authorize({ connectionConfig })`, kept with the credential
 * (`extras.connection_config`) and used again for refresh, revocation and API calls.
 */
export type ConnectionConfig = Readonly<Record<string, string>>;

/**
 * A variable of a per-tenant URL template such as `https://{subdomain}.zendesk.com/oauth/tokens`.
 * Its value is checked against `pattern` before it is put in a URL, and the URL's origin against the
 * definition's declared hosts, so a value cannot point a token request at another host.
 */
export interface UrlVariable {
  /** Where the value comes from: an app-credential field (`app`) or `authorize({ connectionConfig })`. */
  readonly from: 'app' | 'connection';
  /** One line for the docs. */
  readonly description: string;
  /**
   * The whole value must match this regular expression (source text, anchored for you).
   * @default one DNS label: `[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`
   */
  readonly pattern?: string;
  /** An example value for the docs and the emulator (`acme`). */
  readonly example?: string;
  /** For `from: 'app'`: the value when none is configured (GitLab `gitlab.com`). */
  readonly default?: string;
}

/** An HTTP request to one of the provider's OAuth endpoints, as openid-client is about to send it. */
export interface OAuthHttpRequest {
  readonly url: URL;
  readonly init: RequestInit & { headers: Headers };
}

/** What a quirk hook is given. */
export interface ProviderContext<A> {
  /** The provider's resolved app credentials. */
  readonly app: A;
  /** The provider id. */
  readonly provider: string;
  /** The `fetch` the manager uses (injectable for tests). */
  readonly fetch: typeof fetch;
  /** The manager's clock, epoch milliseconds. */
  readonly now: () => number;
  /** The manager's timeout for one request to the provider, milliseconds. */
  readonly timeoutMs: number;
}

/** Named hooks for providers that do not follow the RFCs to the letter. */
export interface OAuth2Hooks<A> {
  /** Rewrite a request to an OAuth endpoint before it is sent (Notion: JSON body; GitHub: `Accept`). */
  readonly prepareRequest?: (request: OAuthHttpRequest, ctx: ProviderContext<A>) => OAuthHttpRequest | Promise<OAuthHttpRequest>;
  /** Rewrite a response from an OAuth endpoint before it is parsed (GitHub: errors sent with HTTP 200). */
  readonly processResponse?: (response: Response, request: OAuthHttpRequest, ctx: ProviderContext<A>) => Response | Promise<Response>;
  /**
   * Check a token response (code or refresh grant) before it is used; throw an `AuthManagerError`
   * with code `INVALID_TOKEN_RESPONSE` to reject it (Salesforce: `signature`).
   */
  readonly validateTokenResponse?: (raw: Readonly<Record<string, unknown>>, ctx: ProviderContext<A>) => void;
  /**
   * After a successful code exchange, look up what the token response does not say and return
   * extras to merge into the credentials (GitHub: the user's id and login, for `account`). A failure
   * here fails the exchange; return `undefined` to add nothing.
   */
  readonly afterExchange?: (credentials: Credentials<object>, ctx: ProviderContext<A>) => Promise<Readonly<Record<string, unknown>> | undefined>;
}

/** The body format of a request to an OAuth endpoint: RFC 6749's form encoding, or a JSON object (Notion). */
export type RequestBodyFormat = 'form' | 'json';

/** How the token endpoint is called, beyond RFC 6749 §4.1.3 / §6. */
export interface TokenRequestSpec {
  /** @default 'form' (RFC 6749 Appendix B) */
  readonly bodyFormat?: RequestBodyFormat;
  /**
   * Headers sent with every request to the OAuth endpoints (Notion `Notion-Version`). A `{name}` in a
   * value is replaced by the app-credential field of that name (`{ 'Notion-Version': '{version}' }`).
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Further parameters of every code-exchange and refresh request to the token endpoint (Shopify
   * `expiring=1`, Zendesk's requested lifetimes). RFC 6749's own parameters cannot be overridden.
   */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * How `client_secret_basic` encodes the id and secret: RFC 6749 §2.3.1 form-encodes them before
   * Basic (what openid-client sends); many servers compare them as they are, per RFC 7617 (Notion:
   * a `-` sent as `%2D` is `invalid_client`). @default 'rfc6749'
   */
  readonly basicEncoding?: BasicEncoding;
}

/** How a client id and secret go into HTTP Basic: RFC 6749 §2.3.1 form-encoded, or RFC 7617 as they are. */
export type BasicEncoding = 'rfc6749' | 'rfc7617';

/** The RFC 6749 §5.1 token-response fields a provider may put somewhere else. */
export type TokenResponseField = 'access_token' | 'token_type' | 'refresh_token' | 'expires_in' | 'scope' | 'id_token' | 'refresh_token_expires_in';

/** Where a provider's token response differs from RFC 6749 §5.1. */
export interface TokenResponseSpec {
  /**
   * Dotted paths of fields that are not at the top level, e.g. Slack's user token:
   * `{ access_token: 'authed_user.access_token', scope: 'authed_user.scope' }`. The value found is used
   * as the RFC field; the rest of the response is kept as it is.
   */
  readonly paths?: Readonly<Partial<Record<TokenResponseField, string>>>;
  /** Fields the provider sends as `null` to mean "none" (Notion `refresh_token`); treated as absent. */
  readonly nullMeansAbsent?: readonly TokenResponseField[];
  /** `expires_in: 0` means the token does not expire (Mailchimp), not that it expired on arrival. */
  readonly zeroExpiresInMeansNever?: boolean;
  /**
   * Field giving the refresh token's lifetime in seconds, besides the two known ones
   * (`refresh_token_expires_in`, `x_refresh_token_expires_in`).
   */
  readonly refreshTokenExpiresInField?: string;
}

/** Token-endpoint error conventions that are not RFC 6749 §5.2. */
export interface TokenErrorSpec {
  /** Errors come with HTTP 200 and an `error` field (GitHub); they are treated as HTTP 400. */
  readonly sentWithHttp200?: boolean;
  /**
   * Provider error codes and the RFC 6749 §5.2 code they mean, e.g. GitHub
   * `{ bad_refresh_token: 'invalid_grant' }` (so a dead refresh token is `REAUTHORIZATION_REQUIRED`).
   * The provider's code is kept at the start of `error_description`.
   */
  readonly aliases?: Readonly<Record<string, string>>;
}

/** Whether a provider issues a new refresh token on every refresh (RFC 6749 §6 leaves it open). */
export type RefreshTokenRotation = 'rotates' | 'reuses' | 'undocumented';

/**
 * Revocation that is not RFC 7009's two form posts: which endpoint, which token, how it is sent,
 * which answers mean "already revoked".
 */
export interface RevocationSpec<A> {
  /**
   * The endpoint. `{client_id}` is replaced by the (URL-encoded) client id (GitHub
   * `DELETE /applications/{client_id}/grant`); other `{name}` variables as for the token endpoint.
   */
  readonly endpoint: string | ((app: A, connection: ConnectionConfig) => string);
  /** @default 'POST' */
  readonly method?: 'POST' | 'DELETE';
  /**
   * Which token is sent: the refresh token when there is one (revoking it ends the grant at most
   * providers), else the access token; or always one of them.
   * @default 'refresh_token'
   */
  readonly token?: 'refresh_token' | 'access_token';
  /** Name of the token parameter. @default 'token' (RFC 7009 §2.1) */
  readonly tokenParameter?: string;
  /** Send RFC 7009's `token_type_hint`. @default false */
  readonly tokenTypeHint?: boolean;
  /** @default 'form' */
  readonly bodyFormat?: RequestBodyFormat;
  /** @default the flow's `clientAuthentication` */
  readonly clientAuthentication?: ClientAuthenticationMethod;
  /**
   * Basic encoding of the id and secret. @default `tokenRequest.basicEncoding` when declared, else
   * 'rfc7617' (custom revocation endpoints are REST endpoints: GitHub's takes `Iv1.…` ids as they are)
   */
  readonly basicEncoding?: BasicEncoding;
  /** Send the token as `Authorization: Bearer` instead of in the body (Dropbox-style). @default false */
  readonly bearer?: boolean;
  /** Statuses that mean the token or grant is already gone (GitHub: 404); they count as revoked. */
  readonly alreadyRevokedStatuses?: readonly number[];
  /**
   * OAuth `error` codes that mean the token is already gone (Google and Salesforce answer a dead
   * token with 400 `invalid_token`); they count as revoked, at any 4xx status.
   */
  readonly alreadyRevokedErrors?: readonly string[];
  /** The request identifies no client at all: no client id, no secret (Google, Salesforce revoke by token alone). @default false */
  readonly anonymous?: boolean;
  /**
   * The provider needs a live access token to revoke (GitHub): an expired one is refreshed first,
   * and a dead refresh token means there is nothing left to revoke. @default false
   */
  readonly needsLiveAccessToken?: boolean;
  /** Further headers (`Accept`, an API version). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4): app-level tokens, no user. */
export interface ClientCredentialsSpec {
  /** Scopes requested when `token()` is given none. */
  readonly defaultScopes?: readonly string[];
  /** Further token-request parameters (`audience` for Auth0). */
  readonly params?: Readonly<Record<string, string>>;
}

/** Revocation for providers whose revocation is not RFC 7009 (GitHub: `DELETE /applications/{client_id}/grant`). */
export type RevokeHook<A> = (ctx: ProviderContext<A> & { readonly credentials: Credentials<object> }) => Promise<void>;

/** What {@link OAuth2Spec.authorizationParams} is told about the authorization request it adds to. */
export interface AuthorizationParamsRequest {
  /** The scopes of this request, in order, e.g. `['openid', 'offline_access']`. */
  readonly scopes: readonly string[];
}

/**
 * The OAuth 2.0 authorization code flow as a provider runs it. Everything here is data except the
 * named hooks.
 * @typeParam A - the provider's resolved app credentials
 */
export interface OAuth2Spec<A> {
  /**
   * The authorization server: an OIDC issuer (discovery) or explicit endpoints, from app credentials
   * and, for per-tenant servers, the connection's {@link ConnectionConfig}.
   */
  readonly server: (app: A, connection: ConnectionConfig) => AuthorizationServer;
  /**
   * Values `authorize({ connectionConfig })` must give for per-tenant URLs (Shopify `shop`), each
   * checked against its pattern. Absent: the provider has one server for every connection.
   */
  readonly connectionConfig?: Readonly<Record<string, UrlVariable>>;
  /** How the token endpoint wants its requests. @default RFC 6749: form body */
  readonly tokenRequest?: TokenRequestSpec;
  /** Where the token response differs from RFC 6749 §5.1. */
  readonly tokenResponse?: TokenResponseSpec;
  /** Token-endpoint errors that are not RFC 6749 §5.2. */
  readonly tokenErrors?: TokenErrorSpec;
  /**
   * Whether a refresh returns a new refresh token. Core keeps the old one when the response has
   * none either way (RFC 6749 §6); the emulator rotates when `rotates`. @default 'undocumented'
   */
  readonly refreshTokenRotation?: RefreshTokenRotation;
  /** Client credentials grant (RFC 6749 §4.4) on the same token endpoint: `auth.<id>.clientCredentials`. */
  readonly clientCredentials?: ClientCredentialsSpec;
  /** RFC 6749 §2.3 client authentication at the token endpoint. */
  readonly clientAuthentication: ClientAuthenticationMethod;
  /** Joins scopes in the authorization request. RFC 6749 §3.3 says space; GitHub also takes comma. @default ' ' */
  readonly scopeSeparator?: string;
  /** Scopes requested when `authorize` is given none. */
  readonly defaultScopes?: readonly string[] | ((app: A) => readonly string[] | undefined);
  /**
   * Extra authorization request parameters (Notion `owner=user`, Google `access_type=offline`). A
   * function also gets the request: the scopes being requested (after `openid` was added), e.g. to
   * send `prompt=consent` with `offline_access` (OpenID Connect Core §11).
   */
  readonly authorizationParams?: Readonly<Record<string, string>>
    | ((app: A, request: AuthorizationParamsRequest) => Readonly<Record<string, string>>);
  /** Access-token lifetime in seconds when the response has no `expires_in` (Salesforce). Absent = never expires. */
  readonly defaultAccessTokenLifetimeSeconds?: number | ((app: A) => number | undefined);
  /**
   * How long a refresh token lives unused, seconds, when the provider documents such an inactivity
   * lifetime (Google: six months). `auth.refreshDue()` refreshes before it lapses. Absent: none known.
   */
  readonly refreshTokenIdleLifetimeSeconds?: number;
  /**
   * How long a refresh token chain lives at most, seconds, counted from the authorization and not
   * extended by refreshing (Atlassian 365 days, Shopify 90 days), when the provider documents it and
   * the token response does not say. Sets `credentials.refreshTokenExpiresAt` on the code exchange;
   * refreshes keep it. Absent: none known.
   */
  readonly refreshTokenMaxLifetimeSeconds?: number;
  /** RFC 7636 PKCE with S256. @default true */
  readonly pkce?: boolean;
  /**
   * OpenID Connect: always request the `openid` scope, send a nonce, require an ID token on the code
   * grant and verify its signature against the provider's JWKS (besides `iss`, `aud`, `exp`, `nonce`).
   * @default false
   */
  readonly openid?: boolean;
  /**
   * Revocation: RFC 7009 at the server's revocation endpoint, a {@link RevocationSpec} (data), or a
   * provider hook. Absent = no `revoke`.
   */
  readonly revocation?: 'rfc7009' | RevocationSpec<A> | RevokeHook<A>;
  /** RFC 7662 introspection at the server's introspection endpoint. Absent = no `introspect`. */
  readonly introspection?: 'rfc7662';
  /** Quirks. */
  readonly hooks?: OAuth2Hooks<A>;
}

/** Who a credential belongs to at the provider ("connected as …"). */
export interface AccountInfo {
  /** Stable upstream id (GitHub user id, Google `sub`, Notion `bot_id`, Salesforce org/user). */
  readonly id: string;
  /** Human-readable label (login, email, workspace name). */
  readonly label?: string;
}

/**
 * Where the provider says who a credential belongs to: an API endpoint called with the new token
 * right after the code exchange, or fields of the token response. The id and label found are kept
 * as `extras.account_id` / `extras.account_label`.
 */
export type IdentitySpec =
  | {
      /** Absolute URL, or a path below the API base URL (`/me`); a function gets the app credentials. */
      readonly endpoint: string | ((app: Readonly<Record<string, unknown>>) => string);
      /** @default 'GET' (`POST` when there is a `body`) */
      readonly method?: 'GET' | 'POST';
      /** A JSON body (a GraphQL query: Linear `{ query: '{ viewer { id email } }' }`). */
      readonly body?: Readonly<Record<string, unknown>>;
      /** Dotted path of the stable id in the JSON answer (`id`, `data.id`, `user.account_id`). */
      readonly id: string;
      /** Dotted path of a human-readable label (login, email, workspace name). */
      readonly label?: string;
    }
  | {
      /** Fields of the token response itself (Slack `team.id`). */
      readonly fromTokenResponse: { readonly id: string; readonly label?: string };
    }
  | {
      /**
       * The OpenID Connect UserInfo endpoint from the server's metadata (OpenID Connect Core §5.3),
       * its `sub` checked against the ID token's. `id` defaults to `sub`.
       */
      readonly userinfo: { readonly id?: string; readonly label?: string };
    };

/**
 * How a credential is put on an API request. The default is `Authorization: <token_type> <token>`
 * (RFC 6750 §2.1).
 */
export type CredentialPlacement =
  | {
      readonly in: 'header';
      /** Header name, e.g. `Authorization`, `x-api-key`. */
      readonly name: string;
      /** The value, with `{token}` (and `{token_type}`) replaced, e.g. `Bearer {token}`. @default '{token}' */
      readonly format?: string;
      /** Base64-encode the token before it goes into `format` (HTTP Basic of `user:password`). @default false */
      readonly base64?: boolean;
    }
  | {
      readonly in: 'query';
      /** Query parameter name, e.g. `api_key`. */
      readonly name: string;
    };

/** Rate-limit headers a provider documents, so callers can read them (see `readRateLimit`). */
export interface RateLimitHeaders {
  readonly limit?: string;
  readonly remaining?: string;
  /** When the window resets. */
  readonly reset?: string;
  /** What `reset` holds. @default 'epoch-seconds' */
  readonly resetUnit?: 'epoch-seconds' | 'seconds' | 'epoch-milliseconds';
}

/** How `session.fetch(provider, path)` reaches the provider's API. */
export interface ApiBinding<A, X extends object> {
  /** Base URL (no trailing slash needed), or one derived from the credentials (Salesforce `instance_url`). */
  readonly baseUrl: string | ((ctx: { readonly app: A; readonly credentials: Credentials<X> }) => string);
  /**
   * Further origins an absolute URL may point at and still get the token (Google: one credential
   * serves gmail.googleapis.com, sheets.googleapis.com…). The base URL's origin is always allowed.
   */
  readonly allowedOrigins?: readonly string[] | ((ctx: { readonly app: A }) => readonly string[]);
  /**
   * Where a base URL that comes from the credentials (a token response field such as Salesforce
   * `instance_url` or Pipedrive `api_domain`) may point: origin patterns such as
   * `https://*.my.salesforce.com` (see {@link OriginPattern}). When set, every API call checks the
   * resolved base URL against them before the token is attached, and refuses with `CONFIGURATION`
   * (a configured base URL) or `INVALID_STORED_CREDENTIALS` (one the credential holds). A function
   * of the app credentials can widen them by configuration (Salesforce `allowedInstanceOrigins`).
   */
  readonly baseUrlOrigins?: readonly OriginPattern[] | ((ctx: { readonly app: A }) => readonly OriginPattern[]);
  /**
   * Whether an API response means the access token was refused, so `session.fetch` refreshes once
   * and retries once. @default `response.status === 401` (RFC 6750 §3.1 `invalid_token`).
   * Salesforce's identity endpoints answer a dead token with 403 `Bad_OAuth_Token`.
   */
  readonly isTokenRejected?: (response: Response) => boolean | Promise<boolean>;
  /**
   * Data form of `isTokenRejected`: besides HTTP 401 (always a refused token, RFC 6750 §3.1), these
   * statuses mean the token was refused — when `bodyIncludes` is set, only with a body containing it.
   * Salesforce's identity endpoints: `{ statuses: [403], bodyIncludes: 'Bad_OAuth_Token' }`.
   */
  readonly tokenRejected?: { readonly statuses: readonly number[]; readonly bodyIncludes?: string };
  /**
   * A token-response field (kept in extras) holding the API base URL, such as Salesforce
   * `instance_url` or Pipedrive `api_domain`; used instead of `baseUrl` when present, and only
   * within `baseUrlOrigins` (which must be set).
   */
  readonly baseUrlFromTokenResponse?: string;
  /**
   * A path appended to the `baseUrlFromTokenResponse` value (trailing slashes dropped) to make the
   * API base, with `{name}` filled from the app credential of that name, percent-encoded: Salesforce
   * `'/services/data/v{apiVersion}'` on `instance_url`. Not appended to `baseUrl`, which is whole.
   */
  readonly baseUrlPath?: string;
  /** How the credential goes on the request. @default `Authorization: <token_type> <token>` */
  readonly credentialPlacement?: CredentialPlacement;
  /** The rate-limit headers the provider documents. */
  readonly rateLimitHeaders?: RateLimitHeaders;
  /**
   * Headers sent with every call besides the credential (Notion-Version, GitHub Accept). In the
   * object form, a `{name}` in a value is replaced by the app-credential field of that name
   * (Twitch: `{ 'Client-Id': '{clientId}' }`).
   */
  readonly headers?: Readonly<Record<string, string>> | ((ctx: { readonly app: A; readonly credentials: Credentials<X> }) => Readonly<Record<string, string>>);
}

/** What a provider's SDK-client factory gets. */
export interface ClientContext<A, X extends object> {
  readonly app: A;
  /** Always-valid access token (refreshes when needed). */
  readonly accessToken: () => Promise<string>;
  /** The current credentials (refreshed when needed). */
  readonly credentials: () => Promise<Credentials<X>>;
  /** `session.fetch` bound to this provider: base URL, headers, refresh-once-on-401. */
  readonly fetch: (path: string, init?: RequestInit) => Promise<Response>;
  /** Force a refresh (for SDKs that report 401 themselves). */
  readonly refresh: () => Promise<Credentials<X>>;
}

/**
 * A provider, as data. Build one with a small factory and check it with
 * `satisfies ProviderDefinition<…>`; register it with {@link defineProvider}.
 *
 * @typeParam Id - the provider id (an open string: third-party ids register like first-party ones)
 * @typeParam F - app-credential fields
 * @typeParam X - user-credential extras picked from the token response
 */
export interface ProviderDefinition<
  Id extends string = string,
  F extends AppCredentialFields = AppCredentialFields,
  X extends object = Record<string, unknown>,
> {
  readonly id: Id;
  readonly displayName: string;
  /** App credentials: client id/secret, endpoints, API version, static token… */
  readonly appCredentials: F;
  /** The authorization code flow, when the provider has one. */
  readonly oauth2?: OAuth2Spec<AppCredentialsOf<F>>;
  /** Credentials that need no flow (an internal integration token, a PAT), from app credentials. */
  readonly staticToken?: (app: AppCredentialsOf<F>) => CredentialsInit<X> | undefined;
  /** Token-response fields kept as typed extras (wire names, e.g. `workspace_id`). */
  readonly userCredentials?: { readonly extras: readonly (keyof X & string)[] };
  /** How API calls are made. */
  readonly api?: ApiBinding<AppCredentialsOf<F>, X>;
  /**
   * Every `{name}` variable of the definition's URL templates, from app credentials or the
   * connection (for docs and emulators; core checks connection ones through `oauth2.connectionConfig`).
   */
  readonly variables?: Readonly<Record<string, UrlVariable>>;
  /** Where the provider says who a credential belongs to (data); `account` reads what it found. */
  readonly identity?: IdentitySpec;
  /**
   * Where the facts of this definition come from: the provider's documentation pages, when they
   * were checked (`YYYY-MM-DD`), and what the docs leave open.
   */
  readonly documentation?: ProviderDocumentation;
  /** Who the credential belongs to upstream; enables re-connect mismatch detection. */
  readonly account?: (credentials: Credentials<X>, app: AppCredentialsOf<F>) => AccountInfo | undefined;
  /** Official SDK client, authenticated, loaded only when called (optional peer dependency). */
  readonly client?: (ctx: ClientContext<AppCredentialsOf<F>, X>) => Promise<unknown>;
  /** Further flows (GitHub App installation tokens, Google service accounts), exposed on the provider handle. */
  readonly flows?: Readonly<Record<string, (ctx: ProviderContext<AppCredentialsOf<F>>) => unknown>>;
}

/** Sources of a provider definition's facts. */
export interface ProviderDocumentation {
  /** The provider's own documentation pages the definition's facts come from. */
  readonly urls: readonly string[];
  /** When the facts were last checked against them, `YYYY-MM-DD`. */
  readonly checkedOn: string;
  /** What the docs leave open (said here instead of guessed). */
  readonly notes?: readonly string[];
}

/** Any provider definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProviderDefinition = ProviderDefinition<string, any, any>;

/** The extras type of a definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ExtrasOf<D> = D extends ProviderDefinition<string, any, infer X> ? X : Record<string, unknown>;

/** The resolved app credentials of any provider (what a runtime holds for hooks to read). */
export type AnyAppCredentials = AppCredentialsOf<AnyProviderDefinition['appCredentials']>;
