/**
 * Limits on JSON that comes from outside (token responses, stored records): how deep it nests and
 * which keys it may have. `__proto__`, `constructor` and `prototype` are refused because copying
 * them with ordinary assignment replaces an object's prototype.
 */

/** Deepest nesting accepted in a token response or stored record (objects and arrays count one level each). */
export const MAX_JSON_DEPTH = 32;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What is wrong with `value`'s shape, or `undefined` when nothing is: nesting deeper than
 * `maxDepth`, or a forbidden key at any depth. The recursion stops at `maxDepth`, so hostile input
 * cannot overflow the stack.
 * @param value - parsed JSON
 * @param maxDepth - levels of nesting allowed. @default MAX_JSON_DEPTH
 */
export function jsonShapeProblem(value: unknown, maxDepth: number = MAX_JSON_DEPTH): string | undefined {
  return problemAt(value, 0, maxDepth);
}

function problemAt(v: unknown, depth: number, maxDepth: number): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth >= maxDepth) return `nests deeper than ${maxDepth} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item === 'object' && item !== null) {
        const p = problemAt(item, depth + 1, maxDepth);
        if (p !== undefined) return p;
      }
    }
    return undefined;
  }
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    if (FORBIDDEN_KEYS.has(key)) return `has a forbidden key "${key}"`;
    const item = (v as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null) {
      const p = problemAt(item, depth + 1, maxDepth);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
