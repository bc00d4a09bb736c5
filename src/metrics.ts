// Prometheus metrics, served at GET /metrics. Each service instance owns its registry (never
// prom-client's global one), so two instances in one process — as in the tests — do not clash.
//
// Label values are bounded on purpose: an operation is a root field name of the schema (or
// "multiple"/"none"), a limit and an email kind come from the fixed lists below. Nothing a caller
// types (usernames, emails, client-chosen operation names, paths) ever becomes a label.
import type pg from 'pg';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type MetricType,
  Registry,
  type HistogramConfiguration,
  type MetricObjectWithValues,
  type MetricValueWithName,
} from 'prom-client';
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

/** From a refresh (milliseconds) to a login, which spends most of its time in bcrypt (bench/README.md). */
const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One operation's finished requests: durations in DURATION_BUCKETS, and counts by HTTP status. */
class OperationTally {
  /** Requests whose duration is at most DURATION_BUCKETS[i] and above the bound before it. */
  readonly buckets: number[] = DURATION_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;
  readonly statuses = new Map<number, number>();

  record(status: number, seconds: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= DURATION_BUCKETS[i]!) {
        this.buckets[i]!++;
        return;
      }
    }
    // Above the last bound: only in +Inf, which is the count.
  }
}

/**
 * The `# TYPE` a histogram is exposed under. prom-client's typings declare MetricType a numeric
 * enum that its JavaScript does not export; its own metrics carry this string, which its registry
 * writes as it is.
 */
const HISTOGRAM = 'histogram' as unknown as MetricType;

type DurationSample = { value: number; labels: { le?: number | string; operation?: string }; metricName: string };

/**
 * The request-duration histogram, its figures read from the tallies at scrape time rather than
 * observed one by one through prom-client (see Metrics.tallies). It answers with what prom-client's
 * own histogram answers for the same observations — cumulative buckets by `le`, then +Inf, _sum and
 * _count per operation — and the registry formats it as it formats any histogram.
 */
class TalliedHistogram extends Histogram<'operation'> {
  constructor(
    private readonly configuration: HistogramConfiguration<'operation'> & { name: string; help: string },
    private readonly tallies: ReadonlyMap<string, OperationTally>,
  ) {
    super(configuration);
  }

  private samples(): DurationSample[] {
    const { name } = this.configuration;
    const samples: DurationSample[] = [];
    for (const [operation, tally] of this.tallies) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += tally.buckets[i]!;
        samples.push({ value: cumulative, labels: { le, operation }, metricName: `${name}_bucket` });
      });
      samples.push({ value: tally.count, labels: { le: '+Inf', operation }, metricName: `${name}_bucket` });
      samples.push({ value: tally.sum, labels: { operation }, metricName: `${name}_sum` });
      samples.push({ value: tally.count, labels: { operation }, metricName: `${name}_count` });
    }
    return samples;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<'operation'>>> {
    const { name, help } = this.configuration;
    return { name, help, type: HISTOGRAM, aggregator: 'sum', collect: () => {}, values: this.samples() };
  }

  /** What the registry reads for the text format (prom-client's histogram has one too): the same figures. */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<'operation'>>> {
    return this.get();
  }
}

export class Metrics {
  readonly registry = new Registry();

  /**
   * Every finished request, counted on the request path in plain numbers per operation
   * (`requestFinished`) and read by the two series below only when /metrics is scraped: prom-client's
   * own `inc` and `observe` validate and hash their labels on every call, which cost more per request
   * than anything else the pipeline adds (bench/README.md). Bounded like the labels.
   */
  private readonly tallies = new Map<string, OperationTally>();

  // The two request series are private: they show the tallies, so an `inc` or `observe` on them
  // from elsewhere would be overwritten (the counter) or never shown (the histogram) at the next scrape.

  /** Finished HTTP requests by GraphQL operation (root field) and HTTP status. */
  private readonly requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by GraphQL operation (root field) and HTTP status.',
    labelNames: ['operation', 'status'] as const,
    registers: [this.registry],
    collect: () => {
      this.requests.reset();
      for (const [operation, tally] of this.tallies) {
        for (const [status, count] of tally.statuses) this.requests.inc({ operation, status }, count);
      }
    },
  });

  private readonly requestDuration = new TalliedHistogram(
    {
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'Time from receiving a request to the end of its answer, by GraphQL operation (root field).',
      labelNames: ['operation'] as const,
      buckets: [...DURATION_BUCKETS],
      registers: [this.registry],
    },
    this.tallies,
  );

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

  /** A request has arrived; `requestFinished` follows once, when its answer is done. */
  requestStarted(): void {
    this.inFlight++;
  }

  /** A request's answer is done (or its client has gone): its operation label, status and duration. */
  requestFinished(operation: string, status: number, seconds: number): void {
    this.inFlight--;
    let tally = this.tallies.get(operation);
    if (!tally) {
      tally = new OperationTally();
      this.tallies.set(operation, tally);
    }
    tally.record(status, seconds);
  }

  emailSent(kind: EmailKind): void {
    this.emailsSent.inc({ kind });
  }

  emailFailed(kind: EmailKind): void {
    this.emailsFailed.inc({ kind });
  }
}
