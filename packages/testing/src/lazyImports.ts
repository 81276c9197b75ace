import { spawnSync } from 'node:child_process';

/** What {@link checkLazyImports} found. */
export interface LazyImportsReport {
  /** Length of the token the session handed out (the path ran to the end). */
  readonly tokenLength: number;
  /** Resolved module URLs that matched `heavy` before the control import. */
  readonly heavyBeforeControl: readonly string[];
  /** How many resolved module URLs matched `heavy` after `control` was imported (the control: more than zero). */
  readonly heavyAfterControl: number;
}

/** Options of {@link checkLazyImports}. */
export interface LazyImportsOptions {
  /** The provider package's directory: its built `dist/index.js` is imported, and bare specifiers resolve from here. */
  readonly packageDir: string;
  /** The provider factory's export name, and the provider id (`notion`). */
  readonly factory: string;
  /** An access token the provider accepts in a stored credential. */
  readonly accessToken: string;
  /** Module URLs that must not be resolved before they are used (matched against each `file:` URL). */
  readonly heavy: RegExp;
  /** A specifier the package can import that resolves a module matching `heavy`: proves the recording works. */
  readonly control: string;
}

/**
 * Cold-start check for a provider package: in a fresh `node` process in `packageDir`, records every
 * module URL resolved (a `module.registerHooks` resolve hook, Node ≥ 22.15) while it imports the built
 * package and `@authmanager/core`, builds an `AuthManager` with the provider, stores a credential and
 * reads its token through `withSession`; then imports `control`. Each step's modules are those a
 * request's first token needs, so an SDK or signing library that shows up in `heavyBeforeControl` is
 * loaded eagerly.
 * @throws Error when the process exits non-zero or writes to stderr
 */
export function checkLazyImports(options: LazyImportsOptions): LazyImportsReport {
  const { packageDir, factory, accessToken, heavy, control } = options;
  const script = `
import { registerHooks } from 'node:module';
const resolved = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); resolved.push(r.url); return r; } });
const heavy = new RegExp(${JSON.stringify(heavy.source)}, ${JSON.stringify(heavy.flags)});
const matching = () => resolved.filter((url) => heavy.test(url));
const { ${factory}: factory } = await import('./dist/index.js');
const { AuthManager, Credentials } = await import('@authmanager/core');
const auth = new AuthManager({ providers: [factory({ clientId: 'c', clientSecret: 's', redirectUri: 'https://app.example/cb' })], env: () => undefined });
await auth.storeCredentials(${JSON.stringify(factory)}, 'u', new Credentials({ accessToken: ${JSON.stringify(accessToken)} }));
const token = await auth.withSession('u', (s) => s.accessToken(${JSON.stringify(factory)}));
const heavyBeforeControl = matching();
await import(${JSON.stringify(control)});
console.log(JSON.stringify({ tokenLength: token.length, heavyBeforeControl, heavyAfterControl: matching().length }));
`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (out.status !== 0 || out.stderr !== '') throw new Error(`the lazy-imports check failed (exit ${out.status}): ${out.stderr.slice(0, 2000)}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as LazyImportsReport;
}
