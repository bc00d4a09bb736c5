// The one HTTP pipeline (Fastify). Every request, whichever route answers it, gets a request id,
// the security headers and `Cache-Control: no-store`, CORS where browsers may call, the one JSON
// body parser and the one error handler — and once its answer is done (or the client has gone),
// one log line and one metrics sample. The routes themselves are listed in routes.ts.
import fastifyAccepts from '@fastify/accepts';
import fastifyCors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import type { TrustProxy } from '../config';
import { requestLines, type Logger } from '../logger';
import type { Metrics } from '../metrics';
import { acceptJsonBodies, bodyErrorOf, MAX_BODY_BYTES, type BodyError } from './body';
import { answerGraphqlBodyError } from './graphql-endpoint';
import { operationLabel } from './metrics-endpoint';
import { logRequest, pathOf, requestIdOf, type RequestNotes } from './request-log';
import { corsOptions, securityHeaders } from './security';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How the route answers a body it cannot take (too large, not JSON); default: as GraphQL errors. */
    answerBodyError?: (reply: FastifyReply, kind: BodyError) => FastifyReply;
  }
}

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  trustProxy: TrustProxy;
  corsOrigins: '*' | readonly string[];
}

/**
 * A hop count trusts the N nearest proxies, as Express and proxy-addr read a number: the operator
 * states how many proxies stand in front (TRUST_PROXY=1 behind one load balancer). Fastify itself
 * refuses to trust by count alone, so the count is handed to it as a function.
 */
function trustedProxies(trustProxy: TrustProxy): FastifyServerOptions['trustProxy'] {
  if (typeof trustProxy !== 'number') return trustProxy;
  return (_address: string, hop: number) => hop < trustProxy;
}

/**
 * A request's child logger (bound to its request id), made on first use. Fastify makes one for
 * every request, and pino serialises a child's bindings through the redaction pass: about 4 kB
 * allocated per request, by far the most of any per-request step the pipeline adds
 * (bench/README.md), for a logger that only an error ever uses.
 */
class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  // Methods on the prototype, not per-instance closures: one of these is made per request.
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(...args: unknown[]): void {
    this.write('silent', args);
  }

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent', args: unknown[]): void {
    const logger = this.logger;
    (logger[level] as (...args: unknown[]) => void).apply(logger, args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/** Probes and scrapes are not traffic: they would drown the request log and series. */
const UNOBSERVED = new Set(['/healthz', '/readyz', '/metrics']);

export async function createHttpApp({ logger, metrics, trustProxy, corsOrigins }: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request, written below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // request.log, made when something logs through it: most requests never do.
    childLoggerFactory: (parent, bindings, options) => new LazyChildLogger(parent, bindings, options),
    // The caller's x-request-id when it is a sane one, so that a trace crosses Hasura and this service.
    genReqId: requestIdOf,
    requestIdHeader: false,
    // Which X-Forwarded-For entries name the client (request.ip); see the configuration's http.trustProxy.
    trustProxy: trustedProxies(trustProxy),
    bodyLimit: MAX_BODY_BYTES,
  });

  app.decorateRequest('notes', null as unknown as RequestNotes);
  const lines = requestLines(logger);
  const headers = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    request.notes = {};
    void reply.header('x-request-id', request.id);
    for (const [name, value] of headers) void reply.header(name, value);
    // Answers carry tokens: no cache may keep one. The playground's files say otherwise themselves.
    void reply.header('cache-control', 'no-store');
    const path = pathOf(request.url);
    if (!UNOBSERVED.has(path)) {
      const started = performance.now();
      metrics.requestStarted();
      // 'close' comes once per response, also when the client went away before the answer.
      reply.raw.once('close', () => {
        const latencyMs = performance.now() - started;
        metrics.requestFinished(operationLabel(request.notes.operation), reply.raw.statusCode, latencyMs / 1000);
        logRequest(lines, request, reply, path, latencyMs);
      });
    }
    done();
  });

  const cors = corsOptions(corsOrigins);
  if (cors) await app.register(fastifyCors, cors);
  await app.register(fastifyAccepts);
  acceptJsonBodies(app);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const kind = bodyErrorOf(error);
    if (kind) return (request.routeOptions.config.answerBodyError ?? answerGraphqlBodyError)(reply, kind);
    const status = error.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ error: 'bad_request', message: error.message });
    request.log.error({ err: error }, 'could not answer a request');
    return reply.code(500).send({ error: 'internal', message: 'Internal server error.' });
  });
  return app;
}
