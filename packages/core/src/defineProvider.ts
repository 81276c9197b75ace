import { ContainerModule } from 'inversify';
import type { EnvSource } from './EnvSource.js';
import { ProviderRuntime, type RuntimeSettings } from './ProviderRuntime.js';
import type { AnyProviderDefinition, AppCredentialsInput } from './ProviderDefinition.js';
import { ENV_SOURCE, HTTP_FETCH, PROVIDER_RUNTIME, RUNTIME_SETTINGS } from './ServiceIdentifiers.js';

/**
 * The inversify module of one provider: binds its `ProviderRuntime` under {@link PROVIDER_RUNTIME}
 * as a singleton named by the provider id, resolved from what the manager binds ({@link ENV_SOURCE}, {@link HTTP_FETCH},
 * {@link RUNTIME_SETTINGS}). Decorator-free (`toResolvedValue` with its dependencies listed), so
 * provider packages need neither decorators nor `reflect-metadata` (inversify's own integrations
 * bind factories the same way).
 */
export class ProviderContainerModule extends ContainerModule {
  /** The provider id this module binds. */
  readonly providerId: string;

  private constructor(providerId: string, load: ConstructorParameters<typeof ContainerModule>[0]) {
    super(load);
    this.providerId = providerId;
  }

  /** The module of `definition` with the app-credential values given in code. */
  static fromDefinition(definition: AnyProviderDefinition, appCredentials: AppCredentialsInput<AnyProviderDefinition['appCredentials']>): ProviderContainerModule {
    return new ProviderContainerModule(definition.id, ({ bind }) => {
      bind(PROVIDER_RUNTIME)
        .toResolvedValue(
          (env: EnvSource, httpFetch: typeof fetch, settings: RuntimeSettings) => new ProviderRuntime(definition, appCredentials, env, httpFetch, settings),
          [ENV_SOURCE, HTTP_FETCH, RUNTIME_SETTINGS],
        )
        .inSingletonScope()
        // Resolvable by its id (`get(PROVIDER_RUNTIME, { name: id })`) and still listed by `getAll`
        // (a `whenNamed` binding would be hidden from it).
        .when((metadata) => metadata.name === undefined || metadata.name === definition.id);
    });
  }
}

/**
 * A provider ready to register: its definition, the app-credential values given in code, and the
 * inversify `ContainerModule` that binds it. Pass it in `new AuthManager({ providers: [...] })`.
 * Creating one has no side effects; nothing is registered until a manager loads the module.
 */
export interface ProviderRegistration<D extends AnyProviderDefinition = AnyProviderDefinition> {
  readonly id: D['id'];
  readonly definition: D;
  /** Binds the provider's `ProviderRuntime` under `PROVIDER_RUNTIME`. */
  readonly module: ProviderContainerModule;
}

/**
 * A registration whose inversify module is made when a manager first loads the provider, so
 * registering 40 providers builds no module (a class: its getter lives on the prototype, and an
 * instance costs three fields).
 */
class Registration<D extends AnyProviderDefinition> implements ProviderRegistration<D> {
  readonly id: D['id'];
  readonly definition: D;
  readonly #appCredentials: AppCredentialsInput<D['appCredentials']>;
  #module: ProviderContainerModule | undefined;

  constructor(definition: D, appCredentials: AppCredentialsInput<D['appCredentials']>) {
    this.id = definition.id;
    this.definition = definition;
    this.#appCredentials = appCredentials;
  }

  get module(): ProviderContainerModule {
    return (this.#module ??= ProviderContainerModule.fromDefinition(this.definition, this.#appCredentials));
  }
}

/** The factory {@link defineProvider} returns: app credentials in, registration out. */
export type ProviderFactory<D extends AnyProviderDefinition> = ((
  appCredentials?: AppCredentialsInput<D['appCredentials']>,
) => ProviderRegistration<D>) & {
  /** The definition every registration of this factory carries (for emulators, docs, catalogues). */
  readonly definition: D;
};

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
  const factory = (appCredentials: AppCredentialsInput<D['appCredentials']> = {}): ProviderRegistration<D> => new Registration(definition, appCredentials);
  return Object.assign(factory, { definition });
}
