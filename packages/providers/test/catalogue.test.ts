// The catalogue's shape: enough entries, one file each, each importable alone, each citing its sources.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { catalogue } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const entriesDir = join(here, '..', 'src', 'entries');
const files = readdirSync(entriesDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();

describe('the catalogue', () => {
  it('has at least 40 entries, one file each, all exported', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(catalogue.map((f) => f.definition.id).sort()).toEqual(files);
  });

  it.each(files)('%s: its file is data that imports only @authmanager/core', (id) => {
    const source = readFileSync(join(entriesDir, `${id}.ts`), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['@authmanager/core']);
  });

  it.each(catalogue.map((f) => [f.definition.id, f] as const))('%s: cites the provider\'s docs and when they were checked', (_id, factory) => {
    const doc = factory.definition.documentation;
    expect(doc?.urls.length).toBeGreaterThan(0);
    for (const url of doc!.urls) expect(new URL(url).protocol).toBe('https:');
    expect(doc!.checkedOn).toMatch(/^20\d\d-\d\d-\d\d$/);
    // Facts come from the provider, not from peers' catalogues.
    expect(doc!.urls.join(' ')).not.toMatch(/nango|arcticjs|better-auth|authjs|next-auth/i);
  });

  it('importing one entry loads that entry and no other', () => {
    // A resolve hook in a fresh process records every module of this package that gets loaded.
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); if (r.url.includes('/packages/providers/')) seen.push(r.url); return r; } });
      const { slack } = await import('@authmanager/providers/slack');
      if (slack.definition.id !== 'slack') throw new Error('wrong entry');
      console.log(JSON.stringify(seen.map((u) => u.slice(u.indexOf('/packages/providers/')))));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(here, '..'), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(['/packages/providers/dist/entries/slack.js']);
  });
});
