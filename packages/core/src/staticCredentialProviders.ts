import { z } from 'zod';
import { appField } from './AppCredentials.js';
import type { CredentialsInit } from './Credentials.js';
import { defineProvider, type ProviderFactory } from './defineProvider.js';
import { envPrefixOf } from './oauth2Provider.js';
import type { AnyAppCredentials, AppCredentialFields, IdentitySpec, ProviderDefinition, ProviderDocumentation, RateLimitHeaders } from './ProviderDefinition.js';

/** What {@link apiKey} and {@link basicAuth} share. */
interface StaticCredentialConfig<Id extends string> {
  readonly id: Id;
  readonly displayName: string;
  /** API base URL (`https://api.stripe.com`). */
  readonly baseUrl: string;
  /** @default the id in upper snake case */
  readonly envPrefix?: string;
  /** Headers sent with every call (`anthropic-version`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** API answers that mean the key was refused. @default `{ statuses: [401] }` */
  readonly tokenRejected?: { readonly statuses: readonly number[]; readonly bodyIncludes?: string };
  readonly rateLimitHeaders?: RateLimitHeaders;
  readonly identity?: IdentitySpec;
  readonly documentation?: ProviderDocumentation;
}

/** An API-key provider as data: what {@link apiKey} takes. */
export interface ApiKeyProviderConfig<Id extends string = string> extends StaticCredentialConfig<Id> {
  /** Where the key goes: a header or a query parameter. */
  readonly placement: 'header' | 'query';
  /** Header or parameter name (`Authorization`, `x-api-key`, `api_key`). */
  readonly name: string;
  /** Header value with `{token}` for the key (`Bearer {token}`). @default '{token}' */
  readonly format?: string;
}

/**
 * A provider whose credential is an API key (Nango counts 323 such entries). `session.accessToken()`
 * returns the key and `session.fetch` puts it where the config says. A subject's own key is stored
 * with `auth.storeCredentials(id, subject, { accessToken: key })`; an app-wide key comes from the
 * `apiKey` app credential (`<PREFIX>_API_KEY`) and serves subjects that have none.
 *
 * @param config - {@link ApiKeyProviderConfig}
 * @returns a provider factory
 * @example
 * ```ts
 * const stripe = apiKey({ id: 'stripe', displayName: 'Stripe', baseUrl: 'https://api.stripe.com', placement: 'header', name: 'Authorization', format: 'Bearer {token}' });
 * const auth = new AuthManager({ providers: [stripe()] }); // STRIPE_API_KEY
 * ```
 */
export function apiKey<const C extends ApiKeyProviderConfig>(config: C): ProviderFactory<ReturnType<typeof apiKeyDefinition<C>>> {
  return defineProvider(apiKeyDefinition(config));
}

/** The {@link ProviderDefinition} {@link apiKey} registers. */
export function apiKeyDefinition<const C extends ApiKeyProviderConfig>(config: C) {
  const prefix = config.envPrefix ?? envPrefixOf(config.id);
  const fields = {
    apiKey: appField({ schema: z.string().min(1).optional(), env: [`${prefix}_API_KEY`], secret: true, description: 'API key used for subjects that have none stored.' }),
    apiBaseUrl: appField({ schema: z.url(), env: [`${prefix}_API_BASE_URL`], default: config.baseUrl, description: 'API base URL.' }),
  } satisfies AppCredentialFields;
  return {
    ...common<C['id']>(config),
    appCredentials: fields,
    staticToken: (app: AnyAppCredentials): CredentialsInit<Record<string, unknown>> | undefined => (app.apiKey ? { accessToken: app.apiKey as string } : undefined),
    api: {
      ...commonApi(config),
      credentialPlacement: config.placement === 'query'
        ? { in: 'query' as const, name: config.name }
        : { in: 'header' as const, name: config.name, format: config.format ?? '{token}' },
    },
  } satisfies ProviderDefinition<C['id'], typeof fields>;
}

/** A Basic-auth provider as data: what {@link basicAuth} takes. */
export type BasicAuthProviderConfig<Id extends string = string> = StaticCredentialConfig<Id>;

/**
 * A provider that takes HTTP Basic authentication (RFC 7617; Nango counts 97 such entries).
 * The credential is RFC 7617's `base64(username:password)` (UTF-8, so any password fits a header):
 * `session.accessToken()` returns it and `session.fetch` sends `Authorization: Basic <it>`. Store a subject's with
 * `auth.storeCredentials(id, subject, basicCredentials(username, password))`; app-wide ones come
 * from `<PREFIX>_USERNAME` / `<PREFIX>_PASSWORD`.
 * @see RFC 7617 §2
 */
export function basicAuth<const C extends BasicAuthProviderConfig>(config: C): ProviderFactory<ReturnType<typeof basicAuthDefinition<C>>> {
  return defineProvider(basicAuthDefinition(config));
}

/** The {@link ProviderDefinition} {@link basicAuth} registers. */
export function basicAuthDefinition<const C extends BasicAuthProviderConfig>(config: C) {
  const prefix = config.envPrefix ?? envPrefixOf(config.id);
  const fields = {
    username: appField({ schema: z.string().min(1).optional(), env: [`${prefix}_USERNAME`], description: 'Username (or key id) used for subjects that have none stored.' }),
    password: appField({ schema: z.string().optional(), env: [`${prefix}_PASSWORD`], secret: true, description: 'Password (or secret) that goes with it.' }),
    apiBaseUrl: appField({ schema: z.url(), env: [`${prefix}_API_BASE_URL`], default: config.baseUrl, description: 'API base URL.' }),
  } satisfies AppCredentialFields;
  return {
    ...common<C['id']>(config),
    appCredentials: fields,
    staticToken: (app: AnyAppCredentials): CredentialsInit<Record<string, unknown>> | undefined =>
      (app.username ? basicCredentials(app.username as string, (app.password as string | undefined) ?? '') : undefined),
    api: { ...commonApi(config), credentialPlacement: { in: 'header' as const, name: 'Authorization', format: 'Basic {token}' } },
  } satisfies ProviderDefinition<C['id'], typeof fields>;
}

/**
 * The credential of a Basic-auth provider for `auth.storeCredentials`: RFC 7617 §2's
 * `base64(username ":" password)`, UTF-8 encoded (§2.1 `charset="UTF-8"`).
 * @throws Error when the username has a `:` (RFC 7617 §2 forbids it)
 * @see RFC 7617 §2
 */
export function basicCredentials(username: string, password: string): CredentialsInit<Record<string, unknown>> {
  if (username.includes(':')) throw new Error('A Basic-auth username cannot contain ":" (RFC 7617 §2)');
  return { accessToken: Buffer.from(`${username}:${password}`, 'utf8').toString('base64'), tokenType: 'Basic' };
}

function common<Id extends string>(config: StaticCredentialConfig<Id>) {
  return {
    id: config.id as Id,
    displayName: config.displayName,
    ...(config.identity ? { identity: config.identity } : {}),
    ...(config.documentation ? { documentation: config.documentation } : {}),
  };
}

function commonApi<Id extends string>(config: StaticCredentialConfig<Id>) {
  return {
    baseUrl: ({ app }: { app: AnyAppCredentials }) => app.apiBaseUrl as string,
    ...(config.headers ? { headers: config.headers } : {}),
    ...(config.tokenRejected ? { tokenRejected: config.tokenRejected } : {}),
    ...(config.rateLimitHeaders ? { rateLimitHeaders: config.rateLimitHeaders } : {}),
  };
}
