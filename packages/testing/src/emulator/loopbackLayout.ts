import { envFrom, type AnyProviderDefinition, type ConnectionConfig, type UrlVariable } from '@authmanager/core';
import { DNS_LABEL_PATTERN, resolveAppCredentials, templateVariables } from '@authmanager/core/provider';
import type { EmulatorEndpoint } from './RequestLog.js';

/**
 * A real URL (or URL template) moved onto the emulator: each distinct real origin becomes a path
 * prefix named after its host, so `https://{subdomain}.zendesk.com/oauth/tokens` becomes
 * `http://127.0.0.1:PORT/{subdomain}.zendesk.com/oauth/tokens`. The template keeps its variables
 * and its host is fixed (loopback), so core's template checks (`fillUrlTemplate`) still run on it.
 * @returns undefined when `url` is not an absolute http(s) URL
 */
export function toLoopback(url: string, origin: string): string | undefined {
  const m = /^https?:\/\/([^/?#]+)(.*)$/i.exec(url);
  // Hosts are case-insensitive (RFC 3986 §3.2.2), variable names are not: `{accountsServer}` stays.
  return m ? `${origin}/${m[1]!.split(/(\{[^}]*\})/).map((part) => (part.startsWith('{') ? part : part.toLowerCase())).join('')}${m[2]}` : undefined;
}

/** Replaces each `{name}` with its URL-encoded value. @throws Error naming a variable without a value */
export function fillTemplate(template: string, values: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = values[name];
    if (typeof value !== 'string') throw new Error(`emulator: no value for {${name}}`);
    return encodeURIComponent(value);
  });
}

/** What {@link layoutFor} needs besides the definition. */
export interface LayoutInput {
  readonly origin: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** Values of the definition's connection variables. @default each variable's value by {@link variableValue} */
  readonly connectionConfig?: ConnectionConfig;
  /** Values of template variables that come from app credentials. @default each variable's value by {@link variableValue} */
  readonly appVariables?: Readonly<Record<string, string>>;
  /** Static credentials (API keys; `username:password` for Basic). */
  readonly staticTokens: readonly string[];
}

/** Where a definition's endpoints live on the emulator, and the app credentials that point there. */
export interface LoopbackLayout {
  /** For the provider factory: client id/secret, redirect URI, every URL field on loopback, template variables. */
  readonly appCredentials: Readonly<Record<string, string>>;
  /** For `authorize({ connectionConfig })`. */
  readonly connectionConfig: ConnectionConfig;
  /** The app credentials as core resolves them. */
  readonly app: Readonly<Record<string, unknown>>;
  /** The issuer, for discovery and ID tokens (OIDC and `oauth2({ issuer })`). */
  readonly issuer?: string;
  /** Filled endpoint URLs (for the example tenant). */
  readonly urls: Readonly<Partial<Record<Exclude<EmulatorEndpoint, 'api' | 'unknown'>, string>>>;
  /** The API base URL; every path below it is the `api` endpoint. */
  readonly apiBaseUrl?: string;
}

const URL_VALUED = /^https?:\/\//i;

/** Values tried, in order, for a variable with neither `example` nor `default`. */
const CANDIDATES = ['acme', 'acme.example.com', 'us1', 'acme-1', 'a1', '1'];

/**
 * The value the emulator gives a template variable: its `example`, else its `default`, else the
 * first of a few plausible values that matches its `pattern` (one DNS label when none is declared),
 * the way core will check it ({@link fillUrlTemplate}).
 * @throws Error naming the variable when no value matches (pass one in `appVariables`/`connectionConfig`)
 */
export function variableValue(name: string, variable: UrlVariable | undefined): string {
  const pattern = new RegExp(`^(?:${variable?.pattern ?? DNS_LABEL_PATTERN})$`);
  const value = [variable?.example, variable?.default, ...CANDIDATES].find((v): v is string => v !== undefined && pattern.test(v));
  if (value === undefined) throw new Error(`emulator: no value for {${name}} matches its pattern; pass one in the emulator's options`);
  if (variable?.example !== undefined && value !== variable.example) throw new Error(`emulator: the example of {${name}} does not match its own pattern`);
  return value;
}
const CLIENT_FIELDS = new Set(['clientId', 'clientSecret', 'redirectUri']);
const CLIENT_ID_MARK = '__emulator_client_id__';

/**
 * Lays a definition out on the emulator's origin: rewrites every URL-valued app-credential default
 * ({@link toLoopback}), picks example values for template variables, resolves the app credentials
 * as core will, and asks the definition's own `oauth2.server(app, connectionConfig)` which
 * endpoints it has (an OpenID issuer gets the emulator's own paths below it).
 */
export function layoutFor(definition: AnyProviderDefinition, input: LayoutInput): LoopbackLayout {
  const fields = definition.appCredentials as Record<string, { default?: unknown }>;
  const spec = definition.oauth2;
  const connectionConfig: Record<string, string> = {};
  const declared = { ...definition.variables, ...spec?.connectionConfig };
  for (const [name, v] of Object.entries(spec?.connectionConfig ?? {})) connectionConfig[name] = input.connectionConfig?.[name] ?? variableValue(name, v);
  const creds: Record<string, string> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (CLIENT_FIELDS.has(name) || typeof field.default !== 'string' || !URL_VALUED.test(field.default)) continue;
    creds[name] = toLoopback(field.default, input.origin)!;
    for (const variable of templateVariables(field.default)) {
      if (variable in connectionConfig || variable === 'client_id' || !(variable in fields) || fields[variable]!.default !== undefined) continue;
      creds[variable] = input.appVariables?.[variable] ?? variableValue(variable, declared[variable]);
    }
  }
  // Every declared app variable gets its example (a default alone is the real provider's host, kept
  // only when there is no example), so the emulator runs the template path a tenant would.
  for (const [name, v] of Object.entries(definition.variables ?? {})) {
    if (v.from !== 'app' || !(name in fields)) continue;
    const given = input.appVariables?.[name];
    if (given !== undefined || v.example !== undefined || fields[name]!.default === undefined) creds[name] = given ?? variableValue(name, v);
  }
  const [token] = input.staticTokens;
  if ('clientId' in fields) Object.assign(creds, { clientId: input.clientId, clientSecret: input.clientSecret, redirectUri: input.redirectUri });
  if ('apiKey' in fields && token) creds.apiKey = token;
  if ('username' in fields && token) Object.assign(creds, { username: token.slice(0, token.indexOf(':')), password: token.slice(token.indexOf(':') + 1) });
  const app = resolveAppCredentials(definition.id, definition.appCredentials, creds, envFrom({})) as Record<string, unknown>;
  const values = { ...app, ...connectionConfig, client_id: input.clientId };

  const urls: Partial<Record<Exclude<EmulatorEndpoint, 'api' | 'unknown'>, string>> = {};
  let issuer: string | undefined;
  if (spec) {
    const server = spec.server(app as never, connectionConfig);
    issuer = server.issuer;
    if (server.discovery) {
      const base = server.issuer.replace(/\/$/, '');
      Object.assign(urls, {
        discovery: `${base}/.well-known/openid-configuration`, authorize: `${base}/authorize`, token: `${base}/token`,
        userinfo: `${base}/userinfo`, jwks: `${base}/jwks`,
        ...(spec.revocation ? { revocation: `${base}/revoke` } : {}), ...(spec.introspection ? { introspection: `${base}/introspect` } : {}),
      });
    } else {
      Object.assign(urls, { authorize: server.authorizationEndpoint, token: server.tokenEndpoint });
      if (server.revocationEndpoint) urls.revocation = server.revocationEndpoint;
      if (server.introspectionEndpoint) urls.introspection = server.introspectionEndpoint;
      if (server.userinfoEndpoint) urls.userinfo = server.userinfoEndpoint;
      if (server.jwksUri) urls.jwks = server.jwksUri;
    }
    const revocation = spec.revocation;
    if (typeof revocation === 'object') {
      // The sender fills `{client_id}`; the endpoint function is given app values that keep a marker in its place.
      const keep = Object.fromEntries(Object.entries(app).map(([k, v]) => [k, typeof v === 'string' ? v.replaceAll('{client_id}', CLIENT_ID_MARK) : v]));
      const endpoint = typeof revocation.endpoint === 'string' ? toLoopback(revocation.endpoint, input.origin) ?? revocation.endpoint
        : revocation.endpoint(keep as never, connectionConfig);
      urls.revocation = fillTemplate(endpoint.replaceAll(CLIENT_ID_MARK, '{client_id}'), values);
    } else if (typeof revocation === 'function' && typeof app.revocationUrl === 'string') {
      urls.revocation = fillTemplate(app.revocationUrl, values);
    }
  }

  let apiBaseUrl: string | undefined;
  const api = definition.api;
  if (api?.baseUrlFromTokenResponse !== undefined) apiBaseUrl = `${input.origin}/__api`;
  else if (typeof api?.baseUrl === 'string') apiBaseUrl = fillTemplate(toLoopback(api.baseUrl, input.origin) ?? api.baseUrl, values);
  else if (api) {
    try {
      apiBaseUrl = api.baseUrl({ app: app as never, credentials: { extras: { connection_config: connectionConfig } } as never });
    } catch { apiBaseUrl = `${input.origin}/__api`; }
  }
  apiBaseUrl = apiBaseUrl?.replace(/\/$/, '');

  const identity = definition.identity;
  if (identity && 'endpoint' in identity) {
    const endpoint = typeof identity.endpoint === 'string' ? toLoopback(identity.endpoint, input.origin) ?? identity.endpoint : identity.endpoint(app);
    urls.identity = URL_VALUED.test(endpoint) ? fillTemplate(endpoint, values) : `${apiBaseUrl ?? input.origin}${endpoint}`;
  }
  return { appCredentials: creds, connectionConfig, app, ...(issuer ? { issuer } : {}), urls, ...(apiBaseUrl ? { apiBaseUrl } : {}) };
}
