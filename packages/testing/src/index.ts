// The store conformance suite imports @jest/globals, so it lives at '@authmanager/testing/conformance'
// (importing it outside Jest throws); everything here is safe to import anywhere.
export {
  startKmsServer,
  type KmsCreateKeyOptions, type KmsErrorType, type KmsOperation, type KmsServer, type KmsServerCredentials,
  type KmsServerOptions,
} from './kms/kmsServer.js';
export { startSandboxProvider, type SandboxCounterName, type SandboxEndpoint, type SandboxEndpointUrls, type SandboxFault, type SandboxProvider, type SandboxProviderOptions } from './sandbox/sandboxServer.js';
export {
  startRedisCluster, startRedisServer,
  type RedisClusterHandle, type RedisClusterOptions, type RedisServerHandle, type RedisServerOptions,
} from './redis/redisServer.js';
export { sandbox, type SandboxExtras } from './sandbox/provider.js';
export { followAuthorization } from './followAuthorization.js';
export { approveDeviceCode } from './approveDeviceCode.js';
export { checkLazyImports, type LazyImportsOptions, type LazyImportsReport } from './lazyImports.js';
export { StormWorkers, stormCallers, type StormWorker, type StormWorkerReport } from './storm/stormWorkers.js';
export { startNotionEmulator, type NotionEmulator, type NotionEmulatorAppCredentials, type NotionEmulatorEndpoint, type NotionEmulatorOptions, type NotionEmulatorRequest, type NotionEmulatorWorkspace } from './emulators/notion.js';
export { startGithubEmulator, type GithubEmulator, type GithubEmulatorAppCredentials, type GithubEmulatorEndpoint, type GithubEmulatorMode, type GithubEmulatorOptions, type GithubEmulatorRequest, type GithubEmulatorUser } from './emulators/github.js';
export { startGoogleEmulator, type GoogleEmulator, type GoogleEmulatorAppCredentials, type GoogleEmulatorEndpoint, type GoogleEmulatorOptions, type GoogleEmulatorRequest, type GoogleEmulatorServiceAccountKey, type GoogleEmulatorUser, type GoogleIdTokenTamper } from './emulators/google.js';
export { startSalesforceEmulator, SALESFORCE_EMULATOR_REDIRECT_URI, type SalesforceEmulator, type SalesforceEmulatorAccount, type SalesforceEmulatorOptions, type SalesforceEndpoint, type SalesforceIssuedToken, type SalesforceRecordedRequest, type SalesforceTamper } from './emulators/salesforce.js';
export { startPostgresServer, type PostgresServerHandle, type PostgresServerOptions } from './sql/postgresServer.js';
export { startMariaDbServer, type MariaDbServerHandle, type MariaDbServerOptions } from './sql/mariadbServer.js';
export {
  startProviderEmulator, EMULATOR_REDIRECT_URI, type ProviderEmulator, type ProviderEmulatorOptions,
} from './emulator/startProviderEmulator.js';
export type { EmulatorEndpoint, EmulatorRequest, InjectedFailure } from './emulator/RequestLog.js';
export { approve } from './emulator/approve.js';
