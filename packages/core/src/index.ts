export { ErrorCode } from './ErrorCode.js';
export { AuthManagerError, type AuthManagerErrorOptions, type OAuthErrorFields } from './AuthManagerError.js';
export { Credentials, redactToken, type CredentialsInit } from './Credentials.js';
export { jsonCredentialCodec, type CredentialCodec } from './CredentialCodec.js';
export {
  recordKeyId,
  type CredentialStore, type DeleteOptions, type ListFilter, type LockOptions, type RecordKey, type RecordKind,
  type SetOptions, type StoredRecord, type StoreLock,
} from './CredentialStore.js';
export { MemoryCredentialStore, checkVersion, type MemoryCredentialStoreOptions } from './MemoryCredentialStore.js';
export { processEnv, envFrom, type EnvSource } from './EnvSource.js';
export { appField, oauthClientFields, resolveAppCredentials, requireAppField } from './AppCredentials.js';
export type {
  AccountInfo, AnyProviderDefinition, ApiBinding, AppCredentialField, AppCredentialFields, AppCredentialsInput,
  AppCredentialsOf, AuthorizationServer, ClientAuthenticationMethod, ClientContext, ExtrasOf, OAuth2Hooks, OAuth2Spec,
  OAuthHttpRequest, ProviderContext, ProviderDefinition, RevokeHook,
} from './ProviderDefinition.js';
