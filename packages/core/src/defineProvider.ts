import { ContainerModule } from 'inversify';
import type { EnvSource } from './EnvSource.js';
import { ProviderRuntime } from './ProviderRuntime.js';
import type { AnyProviderDefinition, AppCredentialsInput } from './ProviderDefinition.js';
import { ENV_SOURCE, HTTP_FETCH, PROVIDER_RUNTIME } from './ServiceIdentifiers.js';

/**
 * A provider ready to register: its definition, the app-credential values given in code, and the
 * inversify `ContainerModule` that binds it. Pass it in `new AuthManager({ providers: [...] })`.
 * Creating one has no side effects; nothing is registered until a manager loads the module.
 */
export interface ProviderRegistration<D extends AnyProviderDefinition = AnyProviderDefinition> {
  readonly id: D['id'];
  readonly definition: D;
  /** Binds a `ProviderRuntime` under `PROVIDER_RUNTIME`, named `id`, visible to `getAll` too. */
  readonly module: ContainerModule;
}

/** The factory {@link defineProvider} returns: app credentials in, registration out. */
export type ProviderFactory<D extends AnyProviderDefinition> = (
  appCredentials?: AppCredentialsInput<D['appCredentials']>,
) => ProviderRegistration<D>;

/**
 * Turns a provider definition (data) into a factory of registrations. First- and third-party
 * providers use this the same way.
 *
 * @param definition - checked with `satisfies ProviderDefinition<…>` at the call site
 * @returns `(appCredentials?) => ProviderRegistration`
 * @example
 * ```ts
 * export const acme = defineProvider({
 *   id: 'acme', displayName: 'Acme',
 *   appCredentials: { ...oauthClientFields('ACME') },
 *   oauth2: {
 *     server: () => ({ authorizationEndpoint: 'https://acme.test/authorize', tokenEndpoint: 'https://acme.test/token' }),
 *     clientAuthentication: 'client_secret_basic',
 *   },
 *   api: { baseUrl: 'https://api.acme.test' },
 * } satisfies ProviderDefinition<'acme'>);
 * const auth = new AuthManager({ providers: [acme({ clientId: '…', clientSecret: '…' })] });
 * ```
 */
export function defineProvider<const D extends AnyProviderDefinition>(definition: D): ProviderFactory<D> {
  return (appCredentials = {}) => ({
    id: definition.id,
    definition,
    module: new ContainerModule(({ bind }) => {
      bind(PROVIDER_RUNTIME)
        .toResolvedValue(
          (env: EnvSource, httpFetch: typeof fetch) => new ProviderRuntime(definition, appCredentials, env, httpFetch),
          [ENV_SOURCE, HTTP_FETCH],
        )
        .inSingletonScope()
        // `.whenNamed()` would hide the binding from getAll; this predicate keeps it in both.
        .when((metadata) => metadata.name === undefined || metadata.name === definition.id);
    }),
  });
}
