/**
 * Reads one environment variable; `undefined` when unset. Injected into the registry so tests and
 * multi-tenant apps can supply their own (providers never read `process.env` themselves).
 */
export type EnvSource = (key: string) => string | undefined;

/** The process environment as an {@link EnvSource}. */
export const processEnv: EnvSource = (key) => process.env[key];

/** An {@link EnvSource} over a fixed record (tests, per-tenant config). */
export function envFrom(values: Readonly<Record<string, string | undefined>>): EnvSource {
  return (key) => values[key];
}
