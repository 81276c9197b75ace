import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectHandler } from './createConnectHandler.js';
import { sendWebResponse, toWebRequest } from './nodeBridge.js';

/** What the middleware reads of an Express 5 request (an Express `Request` is one). */
export interface ExpressLikeRequest extends IncomingMessage {
  readonly originalUrl: string;
  readonly protocol: string;
  /** Set by a body parser (`express.urlencoded()`, `express.json()`) that ran before. */
  readonly body?: unknown;
  get(name: string): string | undefined;
}

/** An Express middleware function. */
export type ExpressMiddleware = (req: ExpressLikeRequest, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The connect routes as Express 5 middleware: requests under `handler.basePath` are answered by
 * the handler, every other request goes on to `next()`. Mount it at the app's root (the handler
 * knows its own base path). It works before or after `express.urlencoded()` / `express.json()`:
 * a body they already read is passed on as it arrived. Behind a proxy, set Express's
 * `trust proxy` (for `req.protocol`) or the handler's `publicUrl`.
 *
 * @param handler - from `createConnectHandler`
 * @returns middleware for `app.use(...)`
 * @example
 * ```ts
 * import express from 'express';
 * import { createConnectHandler } from '@authmanager/http';
 * import { connectMiddleware } from '@authmanager/http/express';
 *
 * const app = express();
 * app.use(connectMiddleware(createConnectHandler({ auth, secret, getSubject })));
 * ```
 */
export function connectMiddleware(handler: ConnectHandler): ExpressMiddleware {
  return (req, res, next) => {
    const pathname = req.originalUrl.split('?')[0] ?? '/';
    if (!handler.matches(pathname)) {
      next();
      return;
    }
    const url = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`;
    // A body parser that ran has consumed the stream; its result is all there is.
    const parsed = req.body !== undefined && (req.readableEnded || req.complete) ? { parsed: req.body } : undefined;
    handler(toWebRequest(req, url, parsed)).then((response) => sendWebResponse(res, response)).catch(next);
  };
}
