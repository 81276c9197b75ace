export { BASE_PATH, callbackPath, createDemoApp, listeningOrigin, type DemoAppOptions } from './app.js';
export { loadOptionalProviders, OPTIONAL_PROVIDERS, type LoadedProviders, type OptionalProvider } from './providers.js';
export { checkCredentialStore, createCredentialStore, describeRedisUrl, type SelectedStore } from './store.js';
export { formatLogLine, readableLogDestination, type LogDestination } from './logLines.js';
