// Starts one real 3-node Redis Cluster for the whole jest run and hands its master nodes to the
// test workers as JSON in REDIS_CLUSTER_NODES (e.g. [{"host":"127.0.0.1","port":41234}, ...]).
// When REDIS_CLUSTER_NODES is already set, that cluster is used and nothing is started.
// Plain .mjs: jest does not transform it (the preset transforms .ts only).
import { startRedisCluster } from '@authmanager/testing';

export default async function globalSetup() {
  if (process.env.REDIS_CLUSTER_NODES) return;
  const cluster = await startRedisCluster();
  globalThis.__AUTHMANAGER_REDIS_CLUSTER__ = cluster;
  process.env.REDIS_CLUSTER_NODES = JSON.stringify(cluster.nodes);
}
