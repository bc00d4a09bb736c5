// One JSON line per request: request id (from x-request-id when the caller sent a sane one, so
// a trace crosses Hasura and this service), method, path, GraphQL operation, status and latency.
// Bodies and headers are never logged: they carry passwords and tokens.
//
// Written by the pipeline (src/http/app.ts) straight to the log's output (src/logger.ts,
// requestLines), in place of Fastify's two lines per request through a child logger.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestLines } from '../logger';

const REQUEST_ID = /^[\w.:@/-]{1,128}$/;

/** What the handler that answered a request says about it, for its log line and metrics sample. */
export interface RequestNotes {
  /** GraphQL root fields ("user_login"), "playground", a webhook's name. */
  operation?: string;
  /** The `extensions.code` of each GraphQL error in the answer (UNAUTHENTICATED, TOO_MANY_REQUESTS…). */
  errors?: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set afresh for every request by the pipeline; handlers fill it in. */
    notes: RequestNotes;
  }
}

/** The caller's request id when it is a sane one, else a new one (Fastify's `genReqId`). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Logs a request whose answer is done (or abandoned by the client): call it on the response's 'close'. */
export function logRequest(lines: RequestLines, request: FastifyRequest, reply: FastifyReply, path: string, latencyMs: number): void {
  const { operation, errors } = request.notes;
  const aborted = !reply.raw.writableFinished;
  const status = reply.raw.statusCode;
  // A client's mistake (4xx) is routine: info, so anyone cannot raise warnings at will.
  const level = status >= 500 ? 'error' : aborted ? 'warn' : 'info';
  if (!lines.enabled(level)) return;
  // Every string through JSON.stringify: a path or a request id may hold quotes.
  const fields =
    `"requestId":${JSON.stringify(request.id)},"req":{"method":${JSON.stringify(request.method)},"path":${JSON.stringify(path)}},` +
    `"res":{"status":${status}},"latencyMs":${Math.round(latencyMs * 10) / 10}` +
    (operation ? `,"operation":${JSON.stringify(operation)}` : '') +
    (errors ? `,"errors":${JSON.stringify(errors)}` : '');
  lines.write(level, fields, aborted ? 'request aborted: the client closed the connection before the answer was complete' : 'request completed');
}

/** The path of a request target, without its query. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
