/**
 * Readable log lines for a terminal. Fastify logs through pino, which writes one JSON object per
 * line; that is right for a file or a log collector, hard to read in a terminal. pino-pretty would
 * do this but is not a dependency of the demo (and the demo adds none for it), so this is a small
 * pino destination of its own: it turns each JSON line into
 * `12:04:33 INFO  consent denied  action=callback provider=sandbox code=AUTHORIZATION_DENIED error=access_denied`.
 */

/** What Fastify's `logger.stream` needs: pino calls `write` with one JSON line at a time. */
export interface LogDestination {
  write(line: string): void;
}

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** pino's own bookkeeping fields, left out of the readable line (`time` and `level` lead it). */
const OMITTED = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'reqId', 'req', 'res', 'responseTime']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v) ?? String(v);
}

function clock(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  return date.toTimeString().slice(0, 8);
}

/**
 * One readable line for one pino JSON line: local time, level, message, the request (`GET /path`)
 * and response status when present, then the other fields as `key=value`. A line that is not JSON
 * is passed through unchanged.
 * @param line - a pino log line, e.g. `{"level":30,"time":1700000000000,"msg":"request completed",…}`
 * @returns the line without a trailing newline
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line.trimEnd();
    entry = parsed as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const level = typeof entry.level === 'number' ? (LEVELS[entry.level] ?? String(entry.level)) : 'LOG';
  const parts = [clock(entry.time), level.padEnd(5), typeof entry.msg === 'string' ? entry.msg : ''];
  const req = entry.req as { method?: unknown; url?: unknown } | undefined;
  if (req && typeof req.method === 'string' && typeof req.url === 'string') parts.push(`${req.method} ${req.url}`);
  const res = entry.res as { statusCode?: unknown } | undefined;
  if (res && typeof res.statusCode === 'number') parts.push(String(res.statusCode));
  if (typeof entry.responseTime === 'number') parts.push(`${Math.round(entry.responseTime)}ms`);
  const rest = Object.entries(entry).filter(([k]) => !OMITTED.has(k)).map(([k, v]) => `${k}=${value(v)}`);
  const head = parts.filter((p) => p !== '').join('  ');
  return rest.length > 0 ? `${head}  ${rest.join(' ')}` : head;
}

/**
 * A pino destination that writes {@link formatLogLine} lines to `out`.
 * @param out - where lines go, e.g. `process.stdout`
 */
export function readableLogDestination(out: { write(text: string): unknown }): LogDestination {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line.trim() !== '') out.write(`${formatLogLine(line)}\n`);
    },
  };
}
