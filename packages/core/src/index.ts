export { ErrorCode, RETRYABLE_CODES, isRetryable } from './ErrorCode.js';
export { RedactedCause } from './RedactedCause.js';
export { AuthManagerError, type AuthManagerErrorOptions, type OAuthErrorFields } from './AuthManagerError.js';
export {
  Credentials, redactToken, isValidAccessToken, isValidTokenType, KNOWN_TOKEN_PREFIXES, MAX_SKEW_LIFETIME_FRACTION, type CredentialsInit,
} from './Credentials.js';
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
  AppCredentialsOf, AuthorizationParamsRequest, AuthorizationServer, ClientAuthenticationMethod, ClientContext, ExtrasOf, OAuth2Hooks, OAuth2Spec,
  OAuthHttpRequest, ProviderContext, ProviderDefinition, RevokeHook,
} from './ProviderDefinition.js';
export {
  AuthManager, AuthManagerBase, type AuthManagerOptions, type CompletedAuthorization, type ConnectionInfo, type DisconnectResult, type RefreshDueResult,
  type ProviderHandle, type ProviderHandles, type TypedSession,
} from './AuthManager.js';
export { AuthEvents, type AuthEventListener, type AuthEventMap, type AuthEventName, type ConnectionEvent } from './AuthEvents.js';
export { isConnectionStatus, type ConnectionState, type ConnectionStatus } from './ConnectionState.js';
export { Session, type SessionOptions, type SessionProvider, type SessionHost } from './Session.js';
export {
  OAuth2Flow, type AuthorizeOptions, type AuthorizationRequest, type ExchangeInput, type ExchangeResult, type IntrospectionResult, type FlowHost,
} from './OAuth2Flow.js';
export { defineProvider, ProviderContainerModule, type ProviderFactory, type ProviderRegistration } from './defineProvider.js';
export { ProviderRuntime, MAX_EXPIRES_IN_SECONDS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RUNTIME_SETTINGS, type MissingAppCredential, type RuntimeSettings } from './ProviderRuntime.js';
export { MAX_JSON_DEPTH } from './JsonShape.js';
export { matchesOriginPattern, type OriginPattern } from './OriginPattern.js';
export { SingleFlight } from './SingleFlight.js';
export { PROVIDER_RUNTIME, ENV_SOURCE, HTTP_FETCH, RUNTIME_SETTINGS } from './ServiceIdentifiers.js';
export { mapProviderError, retryAfterSeconds, type ProviderOperation } from './mapProviderError.js';
export { CredentialRepository, type LoadedCredentials } from './CredentialRepository.js';
export { RefreshCoordinator, type RefreshGrant, type RefreshCoordinatorOptions, type UnpersistedCredential } from './RefreshCoordinator.js';
export { pendingKey, type PendingAuthorization } from './PendingAuthorization.js';
/** The zod instance app-credential schemas are written with (providers need no zod dependency of their own). */
export { z } from 'zod';
