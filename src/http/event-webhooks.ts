// The REST face for Hasura event triggers: POST /events/user_registered,
// /events/password_reset_requested, /events/email_verification_requested,
// /events/email_change_requested, /events/email_change_notice and /events/signin_email_requested,
// and for a Hasura cron trigger, POST /events/anonymous_users_cleanup. Thin adapters: check the secret, check the payload, call
// the deliveries, translate the outcome into the answers Hasura acts on:
//   200 {"status":"sent"|"already_sent"|"skipped"}  delivered; Hasura stops
//   400 not a Hasura event for this trigger          (Hasura retries per retry_conf, uselessly)
//   401 missing or wrong x-webhook-secret
//   503 + Retry-After when the mail server fails     Hasura retries after Retry-After seconds
import type { FastifyInstance, FastifyReply, RouteHandlerMethod } from 'fastify';
import { MailDeliveryError } from '../email/mailer';
import type { AnonymousUsers } from '../auth/anonymous-users';
import type { DeliveryOutcome, EmailDeliveries } from '../events/deliveries';
import {
  EMAIL_CHANGE_NOTICE,
  EMAIL_CHANGE_REQUESTED,
  EMAIL_VERIFICATION_REQUESTED,
  hasuraEventParser,
  PASSWORD_RESET_REQUESTED,
  SIGNIN_EMAIL_REQUESTED,
  USER_REGISTERED,
  type HasuraEvent,
  type TriggerSpec,
} from '../events/hasura-event';
import type { Logger } from '../logger';
import type { BodyError } from './body';
import { secretMatches } from './security';

/** An event payload is a few hundred bytes; this leaves room for a wide column list. */
export const EVENT_MAX_BODY_BYTES = 64 * 1024;

export interface EventWebhooksOptions {
  deliveries: EmailDeliveries;
  /** The clean-up a Hasura cron trigger may call (POST /events/anonymous_users_cleanup). */
  anonymousUsers: Pick<AnonymousUsers, 'removeStale'>;
  webhookSecret: string;
  logger: Logger;
}

/** Registers the webhooks under /events, in a scope of their own (the secret check is theirs alone). */
export function eventWebhooks(app: FastifyInstance, { deliveries, anonymousUsers, webhookSecret, logger }: EventWebhooksOptions): void {
  void app.register(
    async (scope) => {
      // The secret is checked before the body is even read: strangers learn nothing about the format.
      scope.addHook('onRequest', async (request, reply) => {
        if (!secretMatches(request.headers['x-webhook-secret'], webhookSecret)) {
          return reply.code(401).send({ error: 'unauthorized', message: 'Missing or wrong x-webhook-secret header.' });
        }
      });
      const route = <Row>(spec: TriggerSpec<Row>, deliver: (event: HasuraEvent<Row>) => Promise<DeliveryOutcome>) => {
        scope.post(`/${spec.name}`, { bodyLimit: EVENT_MAX_BODY_BYTES, config: { answerBodyError: answerEventBodyError } }, webhook(spec, deliver, logger));
        scope.route({
          method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'],
          url: `/${spec.name}`,
          handler: (_request, reply) =>
            reply.code(405).header('allow', 'POST').send({ error: 'method_not_allowed', message: 'Event webhooks accept POST only.' }),
        });
      };
      route(USER_REGISTERED, (event) => deliveries.welcome(event.row.id));
      route(PASSWORD_RESET_REQUESTED, (event) => deliveries.passwordReset(event.row.id));
      route(SIGNIN_EMAIL_REQUESTED, (event) => deliveries.signInEmail(event.row.id));
      // A Hasura cron trigger's call: its body (scheduled_time, payload…) says nothing the clean-up
      // needs, so it is not read; the secret is what matters. Idempotent, as retries require.
      scope.post('/anonymous_users_cleanup', { bodyLimit: EVENT_MAX_BODY_BYTES, config: { answerBodyError: answerEventBodyError } }, async (request, reply) => {
        request.notes.operation = 'anonymous_users_cleanup';
        const removed = await anonymousUsers.removeStale();
        logger.info({ removed }, 'removed stale anonymous users');
        return reply.send({ status: 'OK', removed });
      });
      route(EMAIL_VERIFICATION_REQUESTED, (event) => deliveries.verifyEmail(event.row.id));
      route(EMAIL_CHANGE_REQUESTED, (event) => deliveries.emailChange(event.row.id));
      route(EMAIL_CHANGE_NOTICE, (event) => deliveries.emailChangeNotice(event.row.id));
    },
    { prefix: '/events' },
  );
}

function webhook<Row>(spec: TriggerSpec<Row>, deliver: (event: HasuraEvent<Row>) => Promise<DeliveryOutcome>, logger: Logger): RouteHandlerMethod {
  const parse = hasuraEventParser(spec);
  return async (request, reply) => {
    request.notes.operation = spec.name;
    const parsed = parse(request.body);
    if (!parsed.ok) {
      logger.warn({ trigger: spec.name, reason: parsed.reason }, 'refused an event payload');
      return reply.code(400).send({ error: 'invalid_event', message: `Not a Hasura ${spec.name} event: ${parsed.reason}` });
    }
    const { event } = parsed;
    if (event.sensitiveColumns.length) {
      // Refusing would not take the data back out of Hasura's event log; saying so loudly might.
      logger.warn(
        { trigger: spec.name, columns: event.sensitiveColumns },
        'the event trigger sends columns that must stay in the database; restrict its insert columns',
      );
    }
    try {
      const outcome = await deliver(event);
      return reply.send({ status: outcome.status });
    } catch (error) {
      if (error instanceof MailDeliveryError) {
        const retryAfter = retryAfterSeconds(event.deliveryInfo.currentRetry);
        logger.warn(
          { err: error, trigger: spec.name, eventId: event.id, retry: event.deliveryInfo.currentRetry, retryAfter },
          'the mail server did not take the email; asking Hasura to retry',
        );
        return reply.code(503).header('retry-after', String(retryAfter)).send({
          error: 'mail_unavailable',
          message: 'The mail server did not accept the email; retry later.',
        });
      }
      logger.error({ err: error, trigger: spec.name, eventId: event.id }, 'event delivery failed');
      return reply.code(500).send({ error: 'internal', message: 'The event could not be processed; retry later.' });
    }
  };
}

/**
 * Seconds before Hasura retries after a mail failure: 30 s doubling with each retry, at most
 * 15 minutes, so a long mail outage is ridden out by few retries (num_retries in retry_conf).
 */
export function retryAfterSeconds(currentRetry: number): number {
  return Math.min(30 * 2 ** Math.min(currentRetry, 10), 900);
}

/** A body that is too large or not JSON is just another payload that is not a Hasura event. */
function answerEventBodyError(reply: FastifyReply, kind: BodyError): FastifyReply {
  const reason =
    kind === 'too_large'
      ? `the body is larger than ${EVENT_MAX_BODY_BYTES} bytes`
      : kind === 'not_json'
        ? 'the body must be JSON (Content-Type: application/json)'
        : 'the body is not valid JSON';
  return reply.code(400).send({ error: 'invalid_event', message: `Not a Hasura event: ${reason}` });
}
