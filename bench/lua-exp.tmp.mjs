import { startRedisServer } from '@authmanager/testing';
import { Redis } from 'ioredis';
import { SET_SCRIPT } from '../packages/store-redis/dist/luaScripts.js';
const redis = await startRedisServer();
const r = new Redis(redis.url);
const value = 'x'.repeat(300);
const N = 64;
const variants = {
  current: SET_SCRIPT.lua,
  getrange: SET_SCRIPT.lua.replace("redis.pcall('GET', key)", "redis.pcall('GETRANGE', key, 0, 47)"),
  nozadd: SET_SCRIPT.lua.replace("redis.call('ZADD', dueKey, due, ARGV[a + 7])", "local _ = 1"),
  empty: `local writes = #ARGV / 7
local replies = {}
for i = 1, writes do replies[i] = 1 end
return replies`,
  onlyset: `local writes = #ARGV / 7
local replies = {}
for i = 1, writes do redis.call('SET', KEYS[i], ARGV[(i-1)*7+1]) replies[i] = 1 end
return replies`,
  getset: `local writes = #ARGV / 7
local replies = {}
for i = 1, writes do local s = redis.pcall('GET', KEYS[i]) redis.call('SET', KEYS[i], ARGV[(i-1)*7+1]) replies[i] = 1 end
return replies`,
};
const shas = {};
for (const [k, lua] of Object.entries(variants)) shas[k] = await r.script('LOAD', lua);
let w = 0;
for (let round = 0; round < 3; round++) for (const [k, sha] of Object.entries(shas)) {
  await r.config('RESETSTAT');
  for (let b = 0; b < 200; b++) {
    const keys = [], args = [];
    for (let i = 0; i < N; i++) { const j = (b * N + i) % 10000; keys.push(`am:credentials:{sandbox:user-${j}}`); args.push(value, 'any', '', '', `wid${w++}`, String(Date.now() + 1e6), `sandbox\0user-${j}`); }
    keys.push('am:due:credentials');
    await r.evalsha(sha, keys.length, ...keys, ...args);
  }
  const line = (await r.info('commandstats')).split('\n').find(l => l.startsWith('cmdstat_evalsha'));
  console.log(k.padEnd(10), (Number(/usec_per_call=([\d.]+)/.exec(line)[1]) / N).toFixed(2), 'us/write');
}
r.disconnect(); await redis.stop();
