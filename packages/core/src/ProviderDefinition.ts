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
    };

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
  /** The authorization server: an OIDC issuer (discovery) or explicit endpoints, from app credentials. */
  readonly server: (app: A) => AuthorizationServer;
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
  /** RFC 7636 PKCE with S256. @default true */
  readonly pkce?: boolean;
  /**
   * OpenID Connect: always request the `openid` scope, send a nonce, require an ID token on the code
   * grant and verify its signature against the provider's JWKS (besides `iss`, `aud`, `exp`, `nonce`).
   * @default false
   */
  readonly openid?: boolean;
  /** Revocation: RFC 7009 at the server's revocation endpoint, or a provider hook. Absent = no `revoke`. */
  readonly revocation?: 'rfc7009' | RevokeHook<A>;
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
   * resolved base URL against them before the token is attached, and refuses with `CONFIGURATION`.
   */
  readonly baseUrlOrigins?: readonly OriginPattern[] | ((ctx: { readonly app: A }) => readonly OriginPattern[]);
  /**
   * Whether an API response means the access token was refused, so `session.fetch` refreshes once
   * and retries once. @default `response.status === 401` (RFC 6750 §3.1 `invalid_token`).
   * Salesforce's identity endpoints answer a dead token with 403 `Bad_OAuth_Token`.
   */
  readonly isTokenRejected?: (response: Response) => boolean | Promise<boolean>;
  /** Headers sent with every call besides `Authorization` (Notion-Version, GitHub Accept). */
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
  /** Who the credential belongs to upstream; enables re-connect mismatch detection. */
  readonly account?: (credentials: Credentials<X>, app: AppCredentialsOf<F>) => AccountInfo | undefined;
  /** Official SDK client, authenticated, loaded only when called (optional peer dependency). */
  readonly client?: (ctx: ClientContext<AppCredentialsOf<F>, X>) => Promise<unknown>;
  /** Further flows (GitHub App installation tokens, Google service accounts), exposed on the provider handle. */
  readonly flows?: Readonly<Record<string, (ctx: ProviderContext<AppCredentialsOf<F>>) => unknown>>;
}

/** Any provider definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProviderDefinition = ProviderDefinition<string, any, any>;

/** The extras type of a definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ExtrasOf<D> = D extends ProviderDefinition<string, any, infer X> ? X : Record<string, unknown>;

/** The resolved app credentials of any provider (what a runtime holds for hooks to read). */
export type AnyAppCredentials = AppCredentialsOf<AnyProviderDefinition['appCredentials']>;
