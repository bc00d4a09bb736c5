// The HTTP face of the service: GraphQL for Hasura's remote schema, the event-trigger webhooks,
// health probes, metrics and the browser playground, all through one pipeline (src/http/app.ts)
// and one list of routes (src/http/routes.ts). Built from explicit services so tests run the real
// thing on a free port.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { createContext, type Context } from './graphql/context';
import { createErrorFormatter } from './graphql/errors';
import { operationNamePlugin } from './graphql/operation-name';
import { buildAuthSchema } from './graphql/schema';
import { MAX_RECURSIVE_SELECTIONS, MAX_TOKENS, extraValidationRules } from './graphql/validation-rules';
import { createHttpApp } from './http/app';
import { Drain } from './http/drain';
import { registerRoutes } from './http/routes';
import type { Logger } from './logger';
import type { Services } from './services';

export interface AuthServer {
  httpServer: http.Server;
  /** Listens and resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Drains for SHUTDOWN_DELAY (readiness 503, `Connection: close`, still serving), then stops
   * accepting, lets in-flight requests finish, and closes the mailer and the database. Idempotent.
   */
  stop(): Promise<void>;
}

export async function createServer(services: Services, logger: Logger): Promise<AuthServer> {
  const { config } = services;
  const drain = new Drain(config.http.shutdownDelay);

  const apollo = new ApolloServer<Context>({
    schema: buildAuthSchema(),
    // Hasura introspects remote schemas when they are added or reloaded, in production too.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals: Apollo's own handlers race with it and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(logger, config.environment === 'development'),
    // Bounds on what one document may ask for, and the operation types this schema has
    // (src/graphql/validation-rules.ts): all checked before any resolver runs.
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: extraValidationRules(),
    maxRecursiveSelections: MAX_RECURSIVE_SELECTIONS,
    plugins: [
      // Apollo's default landing page loads from a CDN and fails offline.
      ApolloServerPluginLandingPageDisabled(),
      // Nothing here is cacheable (every answer says no-store), and its per-field hook would
      // wrap every resolver.
      ApolloServerPluginCacheControlDisabled(),
      operationNamePlugin,
    ],
  });
  await apollo.start();
  services.limits.startSweeping((err) => logger.warn({ err }, 'could not delete expired rate-limit counters'));
  services.anonymousUsers.startCleaning((err) => logger.warn({ err }, 'could not remove stale anonymous users'));

  const { http: settings } = config;
  const app = await createHttpApp({ logger, metrics: services.metrics, trustProxy: settings.trustProxy, corsOrigins: settings.corsOrigins });
  // At send time, not arrival: an answer to a request that came in just before the drain began
  // asks for the connection to close too.
  app.addHook('onSend', (_request, reply, payload, done) => {
    drain.mark(reply.raw);
    done(null, payload);
  });
  // In production only with METRICS_TOKEN: the counters (emails sent, logins failed) say more than
  // an outsider should learn, e.g. whether a reset request reached a real account.
  if (!settings.metricsEnabled) logger.info('GET /metrics is off: set METRICS_TOKEN to serve it in production');
  const resolverServices = {
    accounts: services.accounts,
    passwordChanges: services.passwordChanges,
    passwordResets: services.passwordResets,
    providerSignIns: services.providerSignIns,
    signIns: services.signIns,
    totp: services.totp,
    passkeys: services.passkeys,
    emailSignIns: services.emailSignIns,
    anonymousUsers: services.anonymousUsers,
    emailVerifications: services.emailVerifications,
    emailChanges: services.emailChanges,
    accountDeletion: services.accountDeletion,
    userSessions: services.userSessions,
  };
  registerRoutes(app, {
    apollo,
    context: (request) =>
      createContext(resolverServices, services.tokens, {
        authorization: request.headers.authorization,
        notes: request.notes,
        // The client's address only when a trusted proxy names it: behind Hasura the peer is Hasura.
        origin: {
          client: settings.trustProxy === false ? undefined : request.ip,
          userAgent: request.headers['user-agent'],
        },
      }),
    deliveries: services.deliveries,
    anonymousUsers: services.anonymousUsers,
    webhookSecret: config.events.webhookSecret,
    metrics: services.metrics,
    metricsToken: settings.metricsToken,
    serveMetrics: settings.metricsEnabled,
    logger,
    appName: config.email.appName,
    playground: settings.playground ? { appName: config.email.appName } : undefined,
    // Draining is read after the ping: a probe that arrived just before the drain began and was
    // still waiting on the database must not answer 200 once it has.
    ready: async () => (await services.db.ping()) && !drain.draining,
    providerSignIns: services.providerSignIns,
    jwks: services.keyRing ? { keys: services.keyRing, maxAge: config.tokens.keyRing.jwksMaxAge } : undefined,
    defaultLocale: config.lifecycle.defaultLocale,
  });
  // The ring is read (and, when empty, given its first key) before anything is served.
  if (services.keyRing) await services.keyRing.jwks();
  await app.ready();

  let stopped: Promise<void> | undefined;
  async function stop(): Promise<void> {
    // Readiness 503 and `Connection: close` first, still serving; then the listener closes.
    if (settings.shutdownDelay > 0) logger.info({ seconds: settings.shutdownDelay }, 'draining: readiness is 503, connections are being closed');
    await drain.start();
    services.limits.stop();
    services.anonymousUsers.stop();
    // Fastify stops accepting, answers new requests on open connections with 503, closes idle
    // connections and waits for the requests in flight; past the grace period they are cut.
    const cut = setTimeout(() => app.server.closeAllConnections(), settings.shutdownTimeout * 1000);
    try {
      await app.close();
    } finally {
      clearTimeout(cut);
    }
    await apollo.stop();
    services.mailer.close();
    await services.db.close();
  }
  return {
    httpServer: app.server,
    async listen(port, host = settings.host) {
      await app.listen({ port, host, listenTextResolver: () => '' });
      return (app.server.address() as AddressInfo).port;
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
