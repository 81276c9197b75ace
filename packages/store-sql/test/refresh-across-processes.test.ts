import { afterAll, beforeAll } from '@jest/globals';
import { startPostgresServer, type PostgresServerHandle } from '@authmanager/testing';
import { describeRefreshStorm } from '@authmanager/testing/conformance';
import { SqlCredentialStore } from '../src/index.js';

// Issue 11: the storm of store-redis, with every process on one real PostgreSQL (lease-row lock).
let postgres: PostgresServerHandle;
beforeAll(async () => {
  postgres = await startPostgresServer();
  const setup = new SqlCredentialStore({ database: postgres.url });
  await setup.migrate();
  await setup.close();
}, 60_000);
afterAll(async () => { await postgres.stop(); });

describeRefreshStorm('PostgreSQL', {
  store: () => new SqlCredentialStore({ database: postgres.url }),
  worker: new URL('./fixtures/refresh-worker.mjs', import.meta.url),
  backend: () => postgres.url,
});
