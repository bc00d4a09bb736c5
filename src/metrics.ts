// Prometheus metrics, served at GET /metrics. Each service instance owns its registry (never
// prom-client's global one), so two instances in one process — as in the tests — do not clash.
//
// Label values are bounded on purpose: an operation is a root field name of the schema (or
// "multiple"/"none"), a limit and an email kind come from the fixed lists below. Nothing a caller
// types (usernames, emails, client-chosen operation names, paths) ever becomes a label.
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EMAIL_KINDS, type EmailKind } from './email/templates';

export const RATE_LIMIT_NAMES = [
  'login',
  'login_per_client',
  'register',
  'register_per_client',
  'reset_request',
  'reset_request_per_client',
  'reset_attempt',
  'email_per_domain',
  'mfa_attempt',
  'signin_email',
  'signin_email_per_client',
  'anonymous_per_client',
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];


const PREFIX = 'auth_';

export class Metrics {
  readonly registry = new Registry();

  /** Finished HTTP requests by GraphQL operation (root field) and HTTP status. */
  readonly requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by GraphQL operation (root field) and HTTP status.',
    labelNames: ['operation', 'status'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Time from receiving a request to the end of its answer, by GraphQL operation (root field).',
    labelNames: ['operation'] as const,
    // From a refresh (milliseconds) to a login, which spends most of its time in bcrypt (bench/README.md).
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Read at scrape time from a plain count: a gauge's inc and dec per request cost more. */
  private inFlight = 0;

  readonly requestsInFlight = new Gauge({
    name: `${PREFIX}http_requests_in_flight`,
    help: 'Requests received and not yet answered.',
    registers: [this.registry],
    collect: () => {
      this.requestsInFlight.set(this.inFlight);
    },
  });

  /**
   * The labelled series of each (operation, status) a request ended with, looked up once: prom-client
   * otherwise hashes the label object on every observation (bench/README.md). Bounded like the labels.
   */
  private readonly series = new Map<string, { duration: Histogram.Internal<'operation'>; count: Counter.Internal }>();

  /** Logins refused for wrong credentials (not those refused by a rate limit). */
  readonly loginFailures = new Counter({
    name: `${PREFIX}login_failures_total`,
    help: 'Logins refused for a wrong username, email, password or second-factor code, or an inactive account.',
    registers: [this.registry],
  });

  /**
   * bcrypt's work, in key-expansion rounds (2^cost per operation). Shows what BCRYPT_ROUNDS costs,
   * and lets one check that a wrong password costs the same for every account, known or not.
   */
  readonly bcryptWork = new Counter({
    name: `${PREFIX}bcrypt_work_rounds_total`,
    help: 'bcrypt key-expansion rounds spent (2^cost per operation), by operation: compare or hash.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly rateLimitHits = new Counter({
    name: `${PREFIX}rate_limit_hits_total`,
    help: 'Requests refused (or, for reset requests, silently dropped) by a rate limit.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  /** The mailer increments these: `metrics.emailsSent.inc({ kind: 'welcome' })`. */
  readonly emailsSent = new Counter({
    name: `${PREFIX}emails_sent_total`,
    help: 'Emails handed to the mail server (or written to the log without SMTP_URL).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly emailsFailed = new Counter({
    name: `${PREFIX}emails_failed_total`,
    help: 'Emails the mail server refused or could not take; the webhook answers 503 and Hasura retries.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(pool: pg.Pool) {
    // Counters that exist from the start read 0 instead of being absent, so rates and alerts work.
    for (const limit of RATE_LIMIT_NAMES) this.rateLimitHits.inc({ limit }, 0);
    for (const operation of ['compare', 'hash']) this.bcryptWork.inc({ operation }, 0);
    for (const kind of EMAIL_KINDS) {
      this.emailsSent.inc({ kind }, 0);
      this.emailsFailed.inc({ kind }, 0);
    }

    // Read at scrape time: pg.Pool keeps these counts itself.
    new Gauge({
      name: `${PREFIX}db_pool_connections`,
      help: 'Database connections of this instance, by state: idle, in use, and requests waiting for one.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_max_connections`,
      help: 'The most connections the pool opens (DATABASE_POOL_MAX; 1 on the embedded database).',
      registers: [this.registry],
    }).set(pool.options.max ?? 10);

    // Process CPU, memory, event-loop lag, GC: what an operator checks first.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times one request; call the returned function once, when the answer has been sent. */
  startRequest(): (operation: string, status: number) => void {
    this.inFlight++;
    const started = performance.now();
    return (operation, status) => {
      this.inFlight--;
      const key = `${operation} ${status}`;
      let series = this.series.get(key);
      if (!series) {
        series = { duration: this.requestDuration.labels({ operation }), count: this.requests.labels({ operation, status }) };
        this.series.set(key, series);
      }
      series.duration.observe((performance.now() - started) / 1000);
      series.count.inc();
    };
  }

  emailSent(kind: EmailKind): void {
    this.emailsSent.inc({ kind });
  }

  emailFailed(kind: EmailKind): void {
    this.emailsFailed.inc({ kind });
  }
}
