export { callbackPath, createDemoApp, listeningOrigin, type DemoAppOptions } from './app.js';
export { describeError, type DemoAction } from './errors.js';
export { FlashStore, type FlashStoreOptions } from './FlashStore.js';
export { escapeHtml, formatCountdown, renderHomePage, renderMessagePage, type ApiResponseView, type ConnectionView, type Flash, type HomePageView, type ProviderView } from './html.js';
export { loadOptionalProviders, OPTIONAL_PROVIDERS, PROBE_ENDPOINTS, probeLabel, type LoadedProviders, type OptionalProvider, type ProbeEndpoint } from './providers.js';
export { checkCredentialStore, createCredentialStore, describeRedisUrl, type SelectedStore } from './store.js';
export { formatLogLine, readableLogDestination, type LogDestination } from './logLines.js';
