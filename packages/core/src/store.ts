// '@authmanager/core/store': for store packages. Everything an application uses (from
// '@authmanager/core') plus what a store or store wrapper needs: record ids, the version check,
// single-flight, the due index, and the repository, coordinator and pending-record format the
// manager builds on the store port.
export * from './index.js';
export { recordKeyId } from './CredentialStore.js';
export { checkVersion } from './MemoryCredentialStore.js';
export { DueIndex } from './DueIndex.js';
export { SingleFlight } from './SingleFlight.js';
export { CredentialRepository, type LoadedCredentials } from './CredentialRepository.js';
export { RefreshCoordinator, type CoordinatorEvent, type RefreshGrant, type RefreshCoordinatorOptions } from './RefreshCoordinator.js';
export { pendingKey, type PendingAuthorization } from './PendingAuthorization.js';
