module.exports = {
  ...require('../../jest.preset.cjs'),
  // One real 3-node Redis Cluster per jest run (about 2 s), shared by every test file through
  // REDIS_CLUSTER_NODES; standalone servers are started by the test files themselves.
  globalSetup: '<rootDir>/test/cluster.globalSetup.mjs',
  globalTeardown: '<rootDir>/test/cluster.globalTeardown.mjs',
};
