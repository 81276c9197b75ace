// Stops the Redis Cluster started by cluster.globalSetup.mjs (if it started one).
export default async function globalTeardown() {
  const cluster = globalThis.__AUTHMANAGER_REDIS_CLUSTER__;
  if (cluster) {
    delete globalThis.__AUTHMANAGER_REDIS_CLUSTER__;
    delete process.env.REDIS_CLUSTER_NODES; // ours: a watch-mode re-run must start a new one
    await cluster.stop();
  }
}
