/**
 * Sets `value` at a dotted path (`authed_user.access_token`), creating the objects on the way; a
 * step followed by a numeric one creates an array (`0.id` of Atlassian's accessible-resources list).
 * @param target - mutated
 */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const [i, key] of keys.slice(0, -1).entries()) {
    const next = node[key];
    node = (node[key] = typeof next === 'object' && next !== null ? next : /^\d+$/.test(keys[i + 1]!) ? [] : {}) as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** An object with each `[path, value]` set by {@link setPath}; entries whose path is undefined are skipped. */
export function objectWithPaths(entries: ReadonlyArray<readonly [string | undefined, unknown]>, base: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [path, value] of entries) if (path !== undefined) setPath(base, path, value);
  return base;
}
