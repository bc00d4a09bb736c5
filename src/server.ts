// The HTTP face of the service: GraphQL for Hasura's remote schema, the event-trigger webhooks,
// health probes, metrics and the browser playground. Built from explicit services so tests run
// the real thing on a free port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler } from 'express';
import proxyaddr from 'proxy-addr';
import { createEventsRouter } from './events/router';
import { createContext, type Context } from './graphql/context';
import { operationNamePlugin } from './graphql/operation-name';
import { frontDoor } from './http/front-door';
import { bodyError, directGraphqlPost, isPlainGraphqlPost, MAX_BODY_BYTES } from './http/graphql-endpoint';
import { metricsEndpoint } from './http/metrics';
import { playground } from './http/playground';
import { createProviderRouter } from './http/provider-routes';
import { requestNotes } from './http/request-log';
import { graphqlCors, securityHeaders } from './http/security';
import { createErrorFormatter } from './graphql/errors';
import { MAX_RECURSIVE_SELECTIONS, MAX_TOKENS, extraValidationRules } from './graphql/validation-rules';
import { buildAuthSchema } from './graphql/schema';
import type { Logger } from './logger';
import type { Services } from './services';

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
  // The request listener is attached once Apollo has started (below).
  const httpServer = http.createServer();
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
      // Nothing here is cacheable (the front door says no-store), and its per-field hook would
      // wrap every resolver.
      ApolloServerPluginCacheControlDisabled(),
      operationNamePlugin,
    ],
  });
  await apollo.start();
  services.limits.startSweeping((err) => logger.warn({ err }, 'could not delete expired rate-limit counters'));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = !stopping && (await services.db.ping());
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });

  app.use('/events', createEventsRouter({ deliveries: services.deliveries, webhookSecret: config.eventWebhookSecret, logger }));

  app.get('/metrics', metricsEndpoint(services.metrics, config.metricsToken));

  app.use('/signin/provider', createProviderRouter(services.providerSignIns, logger));

  if (config.playground) app.use(playground(config.appName));

  // The client's address only when a trusted proxy names it: behind Hasura the peer is Hasura.
  const trusted = app.get('trust proxy fn') as Parameters<typeof proxyaddr>[1];
  const context = async (req: http.IncomingMessage, res: http.ServerResponse) =>
    createContext(services, req.headers.authorization, requestNotes(res), {
      client: config.trustProxy === false ? undefined : proxyaddr(req, trusted),
    });
  const cors = graphqlCors(config.corsOrigins);
  // Requests of an unusual shape (another content type, a compressed body), GET and the CORS
  // preflight: Express parses the body, Apollo answers.
  app.use('/graphql', ...(cors ? [cors] : []), express.json({ limit: MAX_BODY_BYTES }), expressMiddleware(apollo, { context: ({ req, res }) => context(req, res) }));
  app.use(bodyErrors);

  const direct = directGraphqlPost({ apollo, context, logger });
  httpServer.on(
    'request',
    frontDoor({ logger, metrics: services.metrics, headers: securityHeaders() }, (req, res, path) => {
      if (!isPlainGraphqlPost(req, path)) return app(req, res);
      if (!cors) return direct(req, res);
      cors(req, res, (error) => (error ? app(req, res) : direct(req, res)));
    }),
  );

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

/** Body-parser's failures on the Express route, answered like the direct route's (src/http/graphql-endpoint.ts). */
const bodyErrors: ErrorRequestHandler = (error: { status?: number; type?: string }, _req, res, next) => {
  if (res.headersSent) return next(error);
  if (error.type === 'entity.too.large') return bodyError(res, 'too_large');
  if (error.status && error.status >= 400 && error.status < 500) return bodyError(res, 'invalid');
  next(error);
};
