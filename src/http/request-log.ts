// One JSON line per request: request id (from x-request-id when the caller sent a sane one, so
// a trace crosses Hasura and this service), method, path, GraphQL operation, status and latency.
// Bodies and headers are never logged: they carry passwords and tokens.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';

const REQUEST_ID = /^[\w.:@/-]{1,128}$/;

/** Where a handler records what the request did, for its log line. */
export interface RequestNotes {
  operation?: string;
  /** The `extensions.code` of each GraphQL error in the answer (UNAUTHENTICATED, TOO_MANY_REQUESTS…). */
  errors?: string[];
}

export function requestNotes(res: ServerResponse): RequestNotes {
  const r = res as ServerResponse & { authNotes?: RequestNotes };
  r.authNotes ??= {};
  return r.authNotes;
}

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customProps: (_req, res) => {
      const { operation, errors } = requestNotes(res);
      return { ...(operation ? { operation } : {}), ...(errors ? { errors } : {}) };
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customAttributeKeys: { responseTime: 'latencyMs', reqId: 'requestId' },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
  });
}
