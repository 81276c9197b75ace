// '@authmanager/core/provider': for provider packages and plugins. Everything an application uses
// (from '@authmanager/core') plus what quirk hooks, second flows and SDK glue need: the runtime a
// hook gets, openid-client error mapping, origin patterns, single-flight, the registry's identifiers.
export * from './index.js';
export { fillHeaderValues, resolveAppCredentials, requireAppField } from './AppCredentials.js';
export { isValidAccessToken, isValidTokenType } from './Credentials.js';
export { ProviderContainerModule } from './defineProvider.js';
export { ProviderRuntime, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RUNTIME_SETTINGS, type RuntimeSettings } from './ProviderRuntime.js';
export { MAX_EXPIRES_IN_SECONDS } from './TokenResponse.js';
export { MAX_JSON_DEPTH } from './JsonShape.js';
export { matchesOriginPattern } from './OriginPattern.js';
export { SingleFlight } from './SingleFlight.js';
export { PROVIDER_RUNTIME, ENV_SOURCE, HTTP_FETCH, RUNTIME_SETTINGS } from './ServiceIdentifiers.js';
export { mapProviderError, retryAfterSeconds, type ProviderOperation } from './mapProviderError.js';
export type { FlowHost } from './OAuth2Flow.js';
export type { SessionHost } from './Session.js';
export { connectionConfigOf, fillUrlTemplate, templateOriginPattern, templateVariables, DNS_LABEL_PATTERN } from './UrlTemplate.js';
export { envPrefixOf } from './oauth2Provider.js';
export { valueAtPath } from './OAuthEndpointQuirks.js';
