import type { ProviderRegistration } from '@authmanager/core';

/** A provider package the demo registers when it is installed and built. */
export interface OptionalProvider {
  readonly packageName: string;
  /** Its exported factory. */
  readonly factory: string;
}

/** The first-party providers, in the order the page lists them. */
export const OPTIONAL_PROVIDERS: readonly OptionalProvider[] = [
  { packageName: '@authmanager/provider-notion', factory: 'notion' },
  { packageName: '@authmanager/provider-github', factory: 'github' },
  { packageName: '@authmanager/provider-google', factory: 'google' },
  { packageName: '@authmanager/provider-salesforce', factory: 'salesforce' },
];

/** Result of {@link loadOptionalProviders}. */
export interface LoadedProviders {
  /** Registrations made with no arguments: each factory reads `NOTION_CLIENT_ID` etc. itself. */
  readonly registrations: ProviderRegistration[];
  /** Packages that could not be loaded, with the reason (not built yet, no such export). */
  readonly skipped: { readonly packageName: string; readonly reason: string }[];
}

function isRegistration(value: unknown): value is ProviderRegistration {
  return typeof value === 'object' && value !== null
    && typeof (value as { id?: unknown }).id === 'string'
    && typeof (value as { module?: unknown }).module === 'object';
}

/**
 * Loads the first-party provider packages that are present. A package that is missing, not built,
 * or does not export its factory is skipped (and reported), so the demo runs with whatever exists.
 * The factories get no app credentials: they read them from the environment, and the page shows
 * "set …_CLIENT_ID …" for those that are not configured.
 *
 * @param providers - which packages to try. @default OPTIONAL_PROVIDERS
 */
export async function loadOptionalProviders(providers: readonly OptionalProvider[] = OPTIONAL_PROVIDERS): Promise<LoadedProviders> {
  const registrations: ProviderRegistration[] = [];
  const skipped: { packageName: string; reason: string }[] = [];
  for (const { packageName, factory } of providers) {
    try {
      // A variable specifier: these packages may not be built yet, and the demo must not need them.
      const mod = (await import(packageName)) as Record<string, unknown>;
      const make = mod[factory];
      if (typeof make !== 'function') {
        skipped.push({ packageName, reason: `it does not export "${factory}" yet` });
        continue;
      }
      const registration: unknown = make();
      if (!isRegistration(registration)) {
        skipped.push({ packageName, reason: `${factory}() did not return a provider registration` });
        continue;
      }
      registrations.push(registration);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const reason = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? 'not installed or not built yet'
        : `it failed to load (${typeof code === 'string' ? code : (err as Error).name})`;
      skipped.push({ packageName, reason });
    }
  }
  return { registrations, skipped };
}

/**
 * The provider catalogue (`@authmanager/providers`): every entry registered with no arguments, so
 * each reads its own `<PREFIX>_CLIENT_ID` … and the page shows "set …" until it is configured, with
 * the redirect URI to register. Missing or unbuilt, it is skipped (and reported) like the packages above.
 */
export async function loadCatalogue(): Promise<LoadedProviders> {
  const packageName = '@authmanager/providers';
  try {
    const mod = (await import(packageName)) as { catalogue?: readonly (() => unknown)[] };
    if (!Array.isArray(mod.catalogue)) return { registrations: [], skipped: [{ packageName, reason: 'it does not export "catalogue" yet' }] };
    const registrations = mod.catalogue.map((make) => make()).filter(isRegistration);
    return { registrations, skipped: [] };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? 'not installed or not built yet' : `it failed to load (${typeof code === 'string' ? code : (err as Error).name})`;
    return { registrations: [], skipped: [{ packageName, reason }] };
  }
}
