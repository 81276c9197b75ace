// Refreshes every `<!-- snippet: file#region -->` block in docs/*.md, README.md and packages/*/README.md
// from docs/snippets.
// `node docs/embed.mjs` after editing a snippet; docs/test/snippets.test.ts fails while they differ.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const packages = join(root, '..', 'packages');
const files = [
  ...readdirSync(root).filter((f) => f.endsWith('.md')).map((f) => join(root, f)),
  join(root, '..', 'README.md'),
  ...readdirSync(packages).map((d) => join(packages, d, 'README.md')).filter((f) => existsSync(f)),
];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/<!-- snippet: ([\w./-]+)#([\w-]+) -->\n```ts\n[\s\S]*?```/g, (_all, source, region) => {
    const code = readFileSync(join(root, 'snippets', source), 'utf8');
    const m = new RegExp(`// #region ${region}\\n([\\s\\S]*?)\\n\\s*// #endregion ${region}`).exec(code);
    if (!m) throw new Error(`${file}: no region ${region} in snippets/${source}`);
    const lines = m[1].split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)[0].length));
    return `<!-- snippet: ${source}#${region} -->\n\`\`\`ts\n${lines.map((l) => l.slice(indent)).join('\n').trimEnd()}\n\`\`\``;
  });
  if (next !== text) { writeFileSync(file, next); console.log(`updated ${file}`); }
}
