import { z } from 'zod';
import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';
import type { EnvSource } from './EnvSource.js';
import type { AppCredentialField, AppCredentialFields, AppCredentialsInput, AppCredentialsOf } from './ProviderDefinition.js';

/**
 * Declares an app-credential field (identity helper that keeps the schema type).
 * @example
 * ```ts
 * const version = appField({ schema: z.string(), env: ['NOTION_VERSION'], default: '2022-06-28', description: 'Notion-Version header' });
 * ```
 */
export function appField<S extends z.ZodType>(field: AppCredentialField<S>): AppCredentialField<S> {
  return field;
}

/**
 * The three fields every OAuth client has, with the original's env keys: `<PREFIX>_CLIENT_ID`,
 * `<PREFIX>_CLIENT_SECRET`, `<PREFIX>_REDIRECT_URI` (plus any `aliases` prefixes, e.g. `GOOGLE_OAUTH`).
 * They are optional in the schema because a provider used only with a static token needs none;
 * the OAuth flows check them when they run and throw `CONFIGURATION` naming the env keys.
 * @param prefix - env prefix, e.g. `NOTION`
 */
export function oauthClientFields(prefix: string, aliases: readonly string[] = []) {
  const keys = (suffix: string) => [prefix, ...aliases].map((p) => `${p}_${suffix}`);
  return {
    clientId: appField({ schema: z.string().min(1).optional(), env: keys('CLIENT_ID'), description: 'OAuth client ID (RFC 6749 §2.2).' }),
    clientSecret: appField({ schema: z.string().min(1).optional(), env: keys('CLIENT_SECRET'), secret: true, description: 'OAuth client secret (RFC 6749 §2.3.1).' }),
    redirectUri: appField({ schema: z.url().optional(), env: keys('REDIRECT_URI'), description: 'Redirect URI registered with the provider (RFC 6749 §3.1.2).' }),
  };
}

/**
 * Resolves app credentials: constructor value, else the first non-empty env key, else the default;
 * then validates every field with its schema.
 * @throws AuthManagerError `CONFIGURATION` naming the first bad field, its env keys and the problem
 *   (never its value when the field is secret)
 */
export function resolveAppCredentials<F extends AppCredentialFields>(
  provider: string, fields: F, input: AppCredentialsInput<F>, env: EnvSource,
): AppCredentialsOf<F> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    let value: unknown = (input as Record<string, unknown>)[name];
    if (value === undefined) {
      for (const key of field.env ?? []) {
        const v = env(key);
        if (v !== undefined && v !== '') { value = v; break; }
      }
    }
    if (value === undefined) value = field.default;
    const parsed = field.schema.safeParse(value);
    if (!parsed.success) {
      const problem = parsed.error.issues[0]?.message ?? 'invalid value';
      throw new AuthManagerError(
        ErrorCode.CONFIGURATION,
        `Provider "${provider}": app credential "${name}" is invalid (${problem}); ${describeSource(field)}`,
        { provider },
      );
    }
    out[name] = parsed.data;
  }
  return out as AppCredentialsOf<F>;
}

/** "set it in the constructor or NOTION_CLIENT_ID / …" */
export function describeSource(field: AppCredentialField): string {
  const keys = field.env ?? [];
  return keys.length === 0 ? 'pass it to the provider factory' : `pass it to the provider factory or set ${keys.join(' or ')}`;
}

/**
 * Throws `CONFIGURATION` when a field a flow needs is absent.
 * @param fields - the provider's field declarations (for env-key names)
 */
export function requireAppField<T>(provider: string, fields: AppCredentialFields, name: string, value: T | undefined): T {
  if (value === undefined || value === null || value === '') {
    const field = fields[name];
    throw new AuthManagerError(
      ErrorCode.CONFIGURATION,
      `Provider "${provider}": app credential "${name}" is required for this flow; ${field ? describeSource(field) : 'pass it to the provider factory'}`,
      { provider },
    );
  }
  return value;
}

/**
 * Replaces `{name}` in each header value with the app-credential field of that name
 * (`{ 'Notion-Version': '{version}' }`); values without braces are returned as they are. A header
 * whose `{name?}` field is not set is left out (Google `x-goog-user-project: '{quotaProjectId?}'`).
 * @throws AuthManagerError `CONFIGURATION` when a named field is not set
 */
export function fillHeaderValues(provider: string, headers: Readonly<Record<string, string>>, app: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const filled = fillAppValues(provider, `header ${name}`, value, app, String);
    if (filled !== undefined) out[name] = filled;
  }
  return out;
}

/**
 * Replaces `{name}` in a URL path with the app-credential field of that name, percent-encoded
 * (Salesforce `api.baseUrlPath: '/services/data/v{apiVersion}'`); a `{name?}` whose field is not set
 * leaves the whole path out.
 * @throws AuthManagerError `CONFIGURATION` when a named field is not set
 */
export function fillPathValues(provider: string, path: string, app: Readonly<Record<string, unknown>>): string {
  return fillAppValues(provider, 'api.baseUrlPath', path, app, (v) => encodeURIComponent(String(v))) ?? '';
}

/** `{name}` → `format(app[name])`; `undefined` when an optional `{name?}` is not set. */
function fillAppValues(provider: string, what: string, template: string, app: Readonly<Record<string, unknown>>, format: (v: unknown) => string): string | undefined {
  if (!template.includes('{')) return template;
  let omit = false;
  const filled = template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}/g, (_, field: string, optional: string | undefined) => {
    const v = app[field];
    if (v === undefined || v === null || v === '') {
      if (optional) { omit = true; return ''; }
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `Provider "${provider}": ${what} needs app credential "${field}", which is not set`, { provider });
    }
    return format(v);
  });
  return omit ? undefined : filled;
}
