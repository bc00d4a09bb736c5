// The REST face for Hasura event triggers: POST /events/user_registered and
// POST /events/password_reset_requested. Thin adapters: check the secret, check the payload, call
// the deliveries, translate the outcome into the answers Hasura acts on:
//   200 {"status":"sent"|"already_sent"|"skipped"}  delivered; Hasura stops
//   400 not a Hasura event for this trigger          (Hasura retries per retry_conf, uselessly)
//   401 missing or wrong x-webhook-secret
//   503 + Retry-After when the mail server fails     Hasura retries after Retry-After seconds
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import { MailDeliveryError } from '../email/mailer';
import { requestNotes } from '../http/request-log';
import type { Logger } from '../logger';
import type { DeliveryOutcome, EmailDeliveries } from './deliveries';
import {
  hasuraEventParser,
  PASSWORD_RESET_REQUESTED,
  USER_REGISTERED,
  type HasuraEvent,
  type TriggerSpec,
} from './hasura-event';

/** An event payload is a few hundred bytes; this leaves room for a wide column list. */
export const EVENT_MAX_BODY_BYTES = 64 * 1024;

export interface EventsRouterOptions {
  deliveries: EmailDeliveries;
  webhookSecret: string;
  logger: Logger;
}

export function createEventsRouter({ deliveries, webhookSecret, logger }: EventsRouterOptions): Router {
  const router = express.Router();
  // The secret is checked before the body is even read: strangers learn nothing about the format.
  router.use(requireSecret(webhookSecret));
  router.use(express.json({ limit: EVENT_MAX_BODY_BYTES }));
  router.post('/user_registered', webhook(USER_REGISTERED, (event) => deliveries.welcome(event.row.id), logger));
  router.post('/password_reset_requested', webhook(PASSWORD_RESET_REQUESTED, (event) => deliveries.passwordReset(event.row.id), logger));
  router.all(['/user_registered', '/password_reset_requested'], (_req, res) => {
    res.status(405).set('allow', 'POST').json({ error: 'method_not_allowed', message: 'Event webhooks accept POST only.' });
  });
  router.use(bodyErrors);
  return router;
}

function requireSecret(secret: string): RequestHandler {
  // Comparing digests keeps the comparison constant-time whatever the length of the header.
  const expected = digest(secret);
  return (req, res, next) => {
    const given = req.headers['x-webhook-secret'];
    if (typeof given === 'string' && timingSafeEqual(digest(given), expected)) return next();
    res.status(401).json({ error: 'unauthorized', message: 'Missing or wrong x-webhook-secret header.' });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function webhook<Row>(
  spec: TriggerSpec<Row>,
  deliver: (event: HasuraEvent<Row>) => Promise<DeliveryOutcome>,
  logger: Logger,
): RequestHandler {
  const parse = hasuraEventParser(spec);
  return async (req, res) => {
    requestNotes(res).operation = spec.name;
    // express.json leaves the body undefined when the content type is not JSON.
    const parsed = req.body === undefined ? { ok: false as const, reason: 'the body must be JSON (Content-Type: application/json)' } : parse(req.body);
    if (!parsed.ok) {
      logger.warn({ trigger: spec.name, reason: parsed.reason }, 'refused an event payload');
      res.status(400).json({ error: 'invalid_event', message: `Not a Hasura ${spec.name} event: ${parsed.reason}` });
      return;
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
      res.json({ status: outcome.status });
    } catch (error) {
      if (error instanceof MailDeliveryError) {
        const retryAfter = retryAfterSeconds(event.deliveryInfo.currentRetry);
        logger.warn(
          { err: error, trigger: spec.name, eventId: event.id, retry: event.deliveryInfo.currentRetry, retryAfter },
          'the mail server did not take the email; asking Hasura to retry',
        );
        res.status(503).set('retry-after', String(retryAfter)).json({
          error: 'mail_unavailable',
          message: 'The mail server did not accept the email; retry later.',
        });
        return;
      }
      logger.error({ err: error, trigger: spec.name, eventId: event.id }, 'event delivery failed');
      res.status(500).json({ error: 'internal', message: 'The event could not be processed; retry later.' });
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
const bodyErrors: ErrorRequestHandler = (error: { type?: string; status?: number }, _req, res, next) => {
  if (res.headersSent || !error.status || error.status >= 500) return next(error);
  const reason =
    error.type === 'entity.too.large' ? `the body is larger than ${EVENT_MAX_BODY_BYTES} bytes` : 'the body is not valid JSON';
  res.status(400).json({ error: 'invalid_event', message: `Not a Hasura event: ${reason}` });
};
