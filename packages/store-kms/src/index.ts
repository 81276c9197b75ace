export {
  KmsEncryptedCredentialStore,
  type DataKeyScope, type KmsEncryptedCredentialStoreOptions, type RotateOptions, type RotationProgress, type RotationResult,
} from './KmsEncryptedCredentialStore.js';
export type { EncryptionContext, GeneratedDataKey, KeyProvider } from './KeyProvider.js';
export { AwsKmsKeyProvider, type AwsKmsKeyProviderOptions } from './AwsKmsKeyProvider.js';
export {
  LocalKeyProvider, type LocalKeyProviderEnvOptions, type LocalKeyProviderFileOptions, type LocalKeyProviderOptions,
} from './LocalKeyProvider.js';
export { DATA_KEY_CACHE_DEFAULTS, type DataKeyCacheOptions } from './DataKeyCache.js';
export { REPLAY_DETECTION_DEFAULTS, type ReplayDetectionOptions } from './LifetimeTracker.js';
