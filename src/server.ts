// The HTTP face of the service: GraphQL for Hasura's remote schema, the event-trigger webhooks,
// health probes, metrics and the browser playground. Built from explicit services so tests run
// the real thing on a free port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler } from 'express';
import { createEventsRouter } from './events/router';
import { createContext, type Context } from './graphql/context';
import { operationNamePlugin } from './graphql/operation-name';
import { metricsEndpoint, requestMetrics } from './http/metrics';
import { playground } from './http/playground';
import { requestLogger, requestNotes } from './http/request-log';
import { graphqlCors, securityHeaders } from './http/security';
import { createErrorFormatter } from './graphql/errors';
import { MAX_RECURSIVE_SELECTIONS, MAX_TOKENS, extraValidationRules } from './graphql/validation-rules';
import { buildAuthSchema } from './graphql/schema';
import type { Logger } from './logger';
import type { Services } from './services';

/** Request bodies larger than this are refused before parsing: no operation needs more. */
export const MAX_BODY_BYTES = 100 * 1024;

export interface AuthServer {
  httpServer: http.Server;
  /** Listens and resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish, then closes the mailer and the database. Idempotent. */
  stop(): Promise<void>;
}

export async function createServer(services: Services, logger: Logger): Promise<AuthServer> {
  const { config } = services;
  const app = express();
  app.disable('x-powered-by');
  // Which X-Forwarded-For entries name the client (req.ip); see Config.trustProxy.
  app.set('trust proxy', config.trustProxy);
  const httpServer = http.createServer(app);
  let stopping = false;

  const apollo = new ApolloServer<Context>({
    schema: buildAuthSchema(),
    // Hasura introspects remote schemas when they are added or reloaded, in production too.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals: Apollo's own handlers race with it and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(logger, config.nodeEnv === 'development'),
    // Bounds on what one document may ask for, and the operation types this schema has
    // (src/graphql/validation-rules.ts): all checked before any resolver runs.
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: extraValidationRules(),
    maxRecursiveSelections: MAX_RECURSIVE_SELECTIONS,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownTimeout * 1000 }),
      // Apollo's default landing page loads from a CDN and fails offline.
      ApolloServerPluginLandingPageDisabled(),
      operationNamePlugin,
    ],
  });
  await apollo.start();
  services.limits.startSweeping((err) => logger.warn({ err }, 'could not delete expired rate-limit counters'));

  app.use(requestLogger(logger));
  app.use(requestMetrics(services.metrics));
  app.use(securityHeaders());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = !stopping && (await services.db.ping());
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });

  app.use('/events', createEventsRouter({ deliveries: services.deliveries, webhookSecret: config.eventWebhookSecret, logger }));

  app.get('/metrics', metricsEndpoint(services.metrics, config.metricsToken));

  if (config.playground) app.use(playground(config.appName));

  // The client's address only when a trusted proxy names it: behind Hasura the peer is Hasura.
  const clientOf = (ip: string | undefined) => (config.trustProxy === false ? undefined : ip);
  const cors = graphqlCors(config.corsOrigins);
  app.use(
    '/graphql',
    ...(cors ? [cors] : []),
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) =>
        createContext(services, req.headers.authorization, requestNotes(res), { client: clientOf(req.ip) }),
    }),
  );

  app.use(bodyErrors);

  let stopped: Promise<void> | undefined;
  return {
    httpServer,
    listen(port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve((httpServer.address() as AddressInfo).port);
        });
      });
    },
    stop() {
      stopping = true;
      services.limits.stop();
      // The drain plugin closes the listener, waits for in-flight requests, then cuts idle ones.
      stopped ??= apollo.stop().then(() => {
        services.mailer.close();
        return services.db.close();
      });
      return stopped;
    },
  };
}

/** Malformed or oversized bodies get a GraphQL-shaped error with a precise code, never a 500. */
const bodyErrors: ErrorRequestHandler = (error: { status?: number; type?: string }, _req, res, next) => {
  if (res.headersSent) return next(error);
  if (error.type === 'entity.too.large') {
    res.status(413).json({
      errors: [{ message: `The request body is larger than ${MAX_BODY_BYTES} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    });
    return;
  }
  if (error.status && error.status >= 400 && error.status < 500) {
    res.status(400).json({ errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  next(error);
};
