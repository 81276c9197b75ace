/**
 * Runs `load` with oidc-provider's "Unsupported runtime" notice dropped: it prints it on import
 * on any Node release that is not LTS yet (Node 26 before October), and the sandbox (built on
 * oidc-provider) is imported by the first-try configuration and by config files that use it. The
 * CLI checks the Node version itself (`authmanager doctor`). Everything else printed goes through.
 */
export async function withoutRuntimeNotice<T>(load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
    warn(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}

/** `@authmanager/testing` (the sandbox provider and server), imported on first use only. */
export function loadSandbox(): Promise<typeof import('@authmanager/testing')> {
  return withoutRuntimeNotice(() => import('@authmanager/testing'));
}
