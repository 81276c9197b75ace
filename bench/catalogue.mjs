// Issue 8 figures: what the catalogue costs. Import time of one catalogue entry against
// @authmanager/core alone (fresh process per run, interleaved), and `new AuthManager` with 40
// catalogue providers against 1 (same process, interleaved batches). Nothing here asserts.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (process.argv.includes('--quick') ? 5 : 11));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const line = (name, value, extra) => console.log(`${name.padEnd(58)} ${value}  ${extra}`);
const here = dirname(createRequire(import.meta.url).resolve('@authmanager/providers/package.json'));

/** Milliseconds one dynamic import takes in a fresh node process (startup excluded). */
function importMs(specifier) {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: here, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (out.status !== 0) throw new Error(`import of ${specifier} failed: ${out.stderr.slice(0, 300)}`);
  return Number(out.stdout.trim());
}

export async function benchCatalogueImport() {
  console.log('# importing one catalogue entry: fresh node process per run, interleaved');
  console.log('  baseline: the same process importing @authmanager/core alone (every entry imports it)');
  const core = [];
  const entry = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) { core.push(importMs('@authmanager/core')); entry.push(importMs('@authmanager/providers/slack')); }
    else { entry.push(importMs('@authmanager/providers/slack')); core.push(importMs('@authmanager/core')); }
  }
  const ratios = entry.map((e, i) => e / core[i]);
  line('(8a) import @authmanager/core', `${median(core).toFixed(1)} ms`, `spread ${spread(core)} ms`);
  line('(8a) import @authmanager/providers/slack (with core)', `${median(entry).toFixed(1)} ms`, `spread ${spread(entry)} ms`);
  line('(8a) one catalogue entry / core alone', `${median(ratios).toFixed(3)}x`, `spread ${spread(ratios)}; target <= 1.10x`);
}

export async function benchCatalogueManager() {
  console.log('# new AuthManager: 40 catalogue providers against 1, same process, interleaved batches');
  const { AuthManager, envFrom } = await import('@authmanager/core');
  const { catalogue } = await import('@authmanager/providers');
  const forty = catalogue.slice(0, 40);
  const env = envFrom({});
  const build = (factories) => { const t = performance.now(); const auth = new AuthManager({ providers: factories.map((f) => f()), env, telemetry: false }); const ms = performance.now() - t; void auth; return ms; };
  for (let i = 0; i < 200; i++) { build(forty); build(forty.slice(0, 1)); } // warm-up
  const one = [];
  const many = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batch = (factories) => { const ms = []; for (let i = 0; i < 50; i++) ms.push(build(factories)); return median(ms); };
    if (round % 2 === 0) { one.push(batch(forty.slice(0, 1))); many.push(batch(forty)); }
    else { many.push(batch(forty)); one.push(batch(forty.slice(0, 1))); }
  }
  const ratios = many.map((m, i) => m / one[i]);
  line('(8b) new AuthManager with 1 provider', `${(median(one) * 1000).toFixed(0)} µs`, `spread ${(Math.min(...one) * 1000).toFixed(0)}–${(Math.max(...one) * 1000).toFixed(0)} µs`);
  line(`(8b) new AuthManager with ${forty.length} providers`, `${(median(many) * 1000).toFixed(0)} µs`, `spread ${(Math.min(...many) * 1000).toFixed(0)}–${(Math.max(...many) * 1000).toFixed(0)} µs`);
  line('(8b) 40 providers / 1', `${median(ratios).toFixed(2)}x`, `spread ${spread(ratios)}; target <= 2x`);
  // What construction defers: each provider's inversify module and runtime, made on first use.
  const firstUse = [];
  for (let round = 0; round < ROUNDS; round++) {
    const auth = new AuthManager({ providers: forty.map((f) => f()), env, telemetry: false });
    const t = performance.now();
    for (const id of auth.providerIds) auth.provider(id);
    firstUse.push(performance.now() - t);
  }
  line('(8b) then first use of all 40 (auth.provider(id) each)', `${(median(firstUse) * 1000).toFixed(0)} µs`, 'information: the per-provider work construction defers');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchCatalogueImport();
  await benchCatalogueManager();
}
