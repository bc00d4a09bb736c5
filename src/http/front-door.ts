// What every request gets, whichever handler answers it: a request id, the security headers and
// `Cache-Control: no-store`, then — once its answer is done — one log line and one metrics sample.
//
// Plain node:http rather than Express middleware, because it runs for every request. Replacing
// pino-http, helmet and a metrics middleware with this, and Express with the direct GraphQL route
// (graphql-endpoint.ts), cut action_sample's CPU a request by most of it (figures: bench/README.md).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { requestLogger, type Logger } from '../logger';
import type { Metrics } from '../metrics';
import { operationLabel } from './metrics';
import { logRequest, requestIdOf, requestNotes } from './request-log';

/** Probes and scrapes are not traffic: they would drown the request log and series. */
const UNOBSERVED = new Set(['/healthz', '/readyz', '/metrics']);

export interface FrontDoorOptions {
  logger: Logger;
  metrics: Metrics;
  /** Set on every answer before its handler runs; a handler may replace one (the playground's CSP). */
  headers: ReadonlyArray<readonly [string, string]>;
}

/** Answers a request that has passed the front door; `path` is its target without the query. */
export type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export function frontDoor(options: FrontDoorOptions, handler: Handler): RequestListener {
  const { metrics, headers } = options;
  const logger = requestLogger(options.logger);
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    for (const [name, value] of headers) res.setHeader(name, value);
    const path = pathOf(req.url);
    if (!UNOBSERVED.has(path)) {
      const done = metrics.startRequest();
      // 'close' comes once per response, also when the client went away before the answer.
      res.once('close', () => {
        done(operationLabel(requestNotes(res).operation), res.statusCode);
        logRequest(logger, req, res, path, requestId, performance.now() - started);
      });
    }
    handler(req, res, path);
  };
}

/** The path of a request target, without its query. */
function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
