import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running HTTP server on 127.0.0.1. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly origin: string;
  /** Stops accepting, drops open (keep-alive) connections, resolves once closed. */
  close(): Promise<void>;
}

/** Handles one request; a throw is answered `500` with the message (the emulator's own bug, not the client's). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Starts an HTTP/1.1 server on 127.0.0.1.
 * @param handler - answers every request
 * @param port - a fixed port; @default 0 (a free port the OS picks)
 * @returns the server's origin and `close`
 * @throws Error (`EADDRINUSE`…) when the port cannot be bound
 */
export async function startLoopbackServer(handler: RequestHandler, port = 0): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`emulator error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}

/** Sends a JSON answer (`application/json; charset=utf-8`). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}
