export {
  SqlCredentialStore,
  type PurgeOptions, type SqlCredentialStoreOptions, type SqlDatabase,
} from './SqlCredentialStore.js';
export {
  MAX_PROVIDER_BYTES, MAX_SUBJECT_BYTES, storeMigrations,
  type SqlDialectName, type SqlTableNames,
} from './sqlSchema.js';
