export { RedisCredentialStore, type RedisCredentialStoreOptions } from './RedisCredentialStore.js';
