// The API an application calls: the manager, sessions, credentials, stores to pick from, errors,
// events, and defining a provider of its own. What provider and store packages need beyond that is
// in '@authmanager/core/provider' and '@authmanager/core/store'.
export { ErrorCode, RETRYABLE_CODES, isRetryable } from './ErrorCode.js';
export { RedactedCause } from './RedactedCause.js';
export { AuthManagerError, type AuthManagerErrorOptions, type OAuthErrorFields } from './AuthManagerError.js';
export { Credentials, redactToken, KNOWN_TOKEN_PREFIXES, MAX_SKEW_LIFETIME_FRACTION, type CredentialsInit } from './Credentials.js';
export { jsonCredentialCodec, type CredentialCodec } from './CredentialCodec.js';
export type {
  CredentialStore, DeleteOptions, ListFilter, LockOptions, RecordKey, RecordKind, SetOptions, StoredRecord, StoreLock,
} from './CredentialStore.js';
export { MemoryCredentialStore, type MemoryCredentialStoreOptions } from './MemoryCredentialStore.js';
export { retryLock } from './LockRetry.js';
export { readBoundedBody } from './BoundedBody.js';
export { processEnv, envFrom, type EnvSource } from './EnvSource.js';
export { appField, oauthClientFields } from './AppCredentials.js';
export type {
  AccountInfo, AnyProviderDefinition, ApiBinding, BasicEncoding, AppCredentialField, AppCredentialFields, AppCredentialsInput,
  AppCredentialsOf, AuthorizationParamsRequest, AuthorizationServer, ClientAuthenticationMethod, ClientContext, ClientCredentialsSpec,
  ConnectionConfig, CredentialPlacement, ExtrasOf, IdentitySpec, OAuth2Hooks, OAuth2Spec, OAuthHttpRequest, ProviderContext, ProviderDefinition,
  ProviderDocumentation, RateLimitHeaders, RefreshTokenRotation, RequestBodyFormat, RevocationSpec, RevokeHook, TokenErrorSpec,
  TokenRequestSpec, TokenResponseField, TokenResponseSpec, UrlVariable,
} from './ProviderDefinition.js';
export { oauth2, oauth2Definition, type ApiConfig, type OAuth2ProviderConfig } from './oauth2Provider.js';
export { oidc, oidcDefinition, type OidcProviderConfig } from './oidcProvider.js';
export {
  apiKey, apiKeyDefinition, basicAuth, basicAuthDefinition, basicCredentials, type ApiKeyProviderConfig, type BasicAuthProviderConfig,
} from './staticCredentialProviders.js';
export {
  AuthManager, AuthManagerBase, type AuthManagerOptions, type CompletedAuthorization, type ConnectionInfo, type ConnectionOptions, type DisconnectResult, type RefreshDueResult,
  type ProviderHandle, type ProviderHandles, type TypedSession,
} from './AuthManager.js';
export { AuthEvents, type AuthEventListener, type AuthEventMap, type AuthEventName, type ConnectionEvent } from './AuthEvents.js';
export { isConnectionStatus, type ConnectionState, type ConnectionStatus } from './ConnectionState.js';
export { DEFAULT_CONNECTION } from './ConnectionLabel.js';
export { Session, type SessionOptions, type SessionProvider } from './Session.js';
export {
  OAuth2Flow, type AuthorizeOptions, type AuthorizationRequest, type DeviceAuthorizationOptions, type DeviceAuthorizationPrompt,
  type ExchangeInput, type ExchangeResult, type IntrospectionResult,
} from './OAuth2Flow.js';
export { readRateLimit, type RateLimitInfo } from './RateLimit.js';
export { ClientCredentialsFlow, type ClientCredentialsTokenOptions } from './ClientCredentialsFlow.js';
export { defineProvider, type ProviderFactory, type ProviderRegistration } from './defineProvider.js';
export type { MissingAppCredential } from './ProviderRuntime.js';
export type { UnpersistedCredential } from './RefreshCoordinator.js';
export type { OriginPattern } from './OriginPattern.js';
/** The zod instance app-credential schemas are written with (providers need no zod dependency of their own). */
export { z } from 'zod';
