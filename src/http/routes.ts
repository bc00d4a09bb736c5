// Every route of the service, in one place. A route is a small handler that translates HTTP into
// a call on a domain service and its outcome back; the pipeline around it (app.ts) does the rest.
// To add one: write its handler beside this file, and register it below.
import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AnonymousUsers } from '../auth/anonymous-users';
import type { EmailDeliveries } from '../events/deliveries';
import type { Context } from '../graphql/context';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { eventWebhooks } from './event-webhooks';
import { graphqlEndpoint } from './graphql-endpoint';
import { liveness, readiness } from './health';
import { metricsEndpoint } from './metrics-endpoint';
import { playground } from './playground';
import { providerRoutes } from './provider-routes';
import type { ProviderSignIns } from '../providers/provider-sign-ins';
import { securityPage } from './security-page';
import { jwksEndpoint } from './jwks-endpoint';
import type { KeySource } from '../keys/key-ring';
import { linkPages } from './link-pages';
import type { Locale } from '../locales';

export interface RouteDependencies {
  apollo: ApolloServer<Context>;
  /** The GraphQL context of a request. */
  context: (request: FastifyRequest) => Promise<Context>;
  deliveries: EmailDeliveries;
  anonymousUsers: AnonymousUsers;
  webhookSecret: string;
  metrics: Metrics;
  /** When set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  /** Whether there is a GET /metrics at all (in production only with a token). */
  serveMetrics: boolean;
  logger: Logger;
  /** The account-security page (sign-in, passkeys, TOTP set-up), titled with this name. */
  appName: string;
  /** The browser IDE at GET /graphql, titled with this name; unset: off. */
  playground: { appName: string } | undefined;
  /** Whether the service can serve (not stopping, database answering). */
  ready: () => Promise<boolean>;
  providerSignIns: ProviderSignIns;
  /** The jwk_url mode's keys and Cache-Control max-age; unset with an HS* key (never published). */
  jwks: { keys: KeySource; maxAge: number } | undefined;
  /** The language of the reset and verification pages when neither the link nor the browser names one. */
  defaultLocale: Locale;
}

export function registerRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  app.get('/healthz', liveness);
  app.get('/readyz', readiness(deps.ready));
  if (deps.serveMetrics) app.get('/metrics', metricsEndpoint(deps.metrics, deps.metricsToken));

  // POST /events/user_registered, /events/password_reset_requested, /events/email_verification_requested,
  // /events/email_change_requested, /events/email_change_notice, /events/signin_email_requested,
  // /events/anonymous_users_cleanup (a Hasura cron trigger)
  eventWebhooks(app, { deliveries: deps.deliveries, anonymousUsers: deps.anonymousUsers, webhookSecret: deps.webhookSecret, logger: deps.logger });

  // GET /signin/provider/:provider, GET and POST /signin/provider/:provider/callback
  providerRoutes(app, { signIns: deps.providerSignIns, logger: deps.logger });
  // GET /account/security and its files
  securityPage(app, deps.appName);
  // GET /reset-password and GET /verify-email (the pages emailed links open) and their files
  linkPages(app, { appName: deps.appName, defaultLocale: deps.defaultLocale });

  // GET /playground/* and, for a browser, GET /graphql
  const page = deps.playground ? playground(app, deps.playground.appName) : undefined;
  // POST and GET /graphql
  graphqlEndpoint(app, { apollo: deps.apollo, context: deps.context, playground: page });

  // GET /.well-known/jwks.json (jwk_url mode only)
  if (deps.jwks) app.get('/.well-known/jwks.json', jwksEndpoint(deps.jwks.keys, deps.jwks.maxAge));
}
