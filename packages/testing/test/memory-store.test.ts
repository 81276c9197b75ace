import { MemoryCredentialStore } from '@authmanager/core';
import { describeCredentialStore } from '../src/conformance/describeCredentialStore.js';

describeCredentialStore('MemoryCredentialStore', async () => ({ store: new MemoryCredentialStore() }));

// One store shared by every test, as a multi-tenant deployment would use it: the suite's unique
// names must keep tests apart without a flush.
const shared = new MemoryCredentialStore();
describeCredentialStore('MemoryCredentialStore (one shared instance)', async () => ({ store: shared }));
