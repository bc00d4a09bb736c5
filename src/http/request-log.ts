// One JSON line per request: request id (from x-request-id when the caller sent a sane one, so
// a trace crosses Hasura and this service), method, path, GraphQL operation, status and latency.
// Bodies and headers are never logged: they carry passwords and tokens.
//
// Written on the logger directly rather than through pino-http, which builds a child logger for
// every request and serializes it for this one line.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** The caller's request id when it is a sane one, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Logs a request whose answer is done (or abandoned by the client): call it on the response's 'close'. */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, path: string, requestId: string, latencyMs: number): void {
  const { operation, errors } = requestNotes(res);
  const aborted = !res.writableFinished;
  const status = res.statusCode;
  // A client's mistake (4xx) is routine: info, so anyone cannot raise warnings at will.
  const level = status >= 500 ? 'error' : aborted ? 'warn' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      requestId,
      req: { method: req.method, path },
      res: { status },
      latencyMs: Math.round(latencyMs * 10) / 10,
      ...(operation ? { operation } : {}),
      ...(errors ? { errors } : {}),
    },
    aborted ? 'request aborted: the client closed the connection before the answer was complete' : 'request completed',
  );
}
