import type { ServiceIdentifier } from 'inversify';
import type { EnvSource } from './EnvSource.js';
import type { ProviderRuntime, RuntimeSettings } from './ProviderRuntime.js';

/**
 * inversify service identifiers of the provider registry. Each provider's
 * `ProviderContainerModule` binds {@link PROVIDER_RUNTIME}, resolved from {@link ENV_SOURCE},
 * {@link HTTP_FETCH} and {@link RUNTIME_SETTINGS}, which the manager binds first; the manager
 * resolves all runtimes once with `getAll`.
 */
export const PROVIDER_RUNTIME: ServiceIdentifier<ProviderRuntime> = Symbol.for('@authmanager/core/ProviderRuntime');
/** The {@link EnvSource} app credentials are read from. */
export const ENV_SOURCE: ServiceIdentifier<EnvSource> = Symbol.for('@authmanager/core/EnvSource');
/** The `fetch` used for every provider request (OAuth endpoints and APIs). */
export const HTTP_FETCH: ServiceIdentifier<typeof fetch> = Symbol.for('@authmanager/core/fetch');
/** The manager's settings every provider runtime is built with: clock, request timeout, response cap. */
export const RUNTIME_SETTINGS: ServiceIdentifier<RuntimeSettings> = Symbol.for('@authmanager/core/RuntimeSettings');
