/**
 * The store conformance suite, for Jest: `import { describeCredentialStore } from '@authmanager/testing/conformance'`.
 * Kept apart from the main entry because it imports `@jest/globals`.
 */
export {
  describeCredentialStore, type CredentialStoreConformanceOptions, type CredentialStoreFixture,
} from './conformance/describeCredentialStore.js';
export { describeRefreshStorm, type RefreshStormOptions } from './conformance/describeRefreshStorm.js';
