import type { ServiceIdentifier } from 'inversify';
import type { EnvSource } from './EnvSource.js';
import type { ProviderRuntime } from './ProviderRuntime.js';

/**
 * inversify service identifiers of the provider registry. A provider package's `ContainerModule`
 * binds {@link PROVIDER_RUNTIME} (resolved from {@link ENV_SOURCE} and {@link HTTP_FETCH}); the
 * manager resolves all of them with `getAll` and one by id with `get(…, { name })`.
 */
export const PROVIDER_RUNTIME: ServiceIdentifier<ProviderRuntime> = Symbol.for('@authmanager/core/ProviderRuntime');
/** The {@link EnvSource} app credentials are read from. */
export const ENV_SOURCE: ServiceIdentifier<EnvSource> = Symbol.for('@authmanager/core/EnvSource');
/** The `fetch` used for every provider request (OAuth endpoints and APIs). */
export const HTTP_FETCH: ServiceIdentifier<typeof fetch> = Symbol.for('@authmanager/core/fetch');
