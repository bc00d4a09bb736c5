// Rate limits, kept in PostgreSQL (table rate_limits) so that every instance of the service counts
// together: behind Hasura, several instances share one database and nothing else.
//
// The domain calls these (accounts, password resets), never an adapter, so every way in — GraphQL,
// a CLI, a test — is limited alike. rate-limiter-flexible does the counting: one atomic upsert per
// event on the service's own pool, so the limiter needs no connection of its own (the embedded
// database has exactly one) — but do not call it while holding a pool client in a transaction,
// or on the embedded database it waits for that very connection.
//
// Keys are `<limit>:<hash>`; the table holds no email, username or address in clear.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimit, RateLimitConfig } from '../config';
import type { Database } from '../db/database';
import type { Metrics, RateLimitName } from '../metrics';
import { RateLimitedError } from './errors';

export const RATE_LIMIT_TABLE = 'rate_limits';

/** Where a request came from, as far as the service can tell. */
export interface RequestOrigin {
  /** The client's address; known only with TRUST_PROXY (behind Hasura every request comes from Hasura). */
  client?: string;
}

/** Rows that expired longer ago than this are deleted by the sweep. */
const SWEEP_AFTER_MS = 60 * 60 * 1000;
const SWEEP_EVERY_MS = 5 * 60 * 1000;

class Limit {
  private readonly limiter: RateLimiterPostgres;

  constructor(
    readonly name: RateLimitName,
    settings: RateLimit,
    pool: pg.Pool,
    private readonly onHit: (name: RateLimitName) => void,
  ) {
    this.limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: RATE_LIMIT_TABLE,
      // The migration creates the table; the library must not try DDL at start-up.
      tableCreated: true,
      // One sweep for all limits (RateLimits.sweep), stopped with the service.
      clearExpiredByTimeout: false,
      keyPrefix: name,
      points: settings.points,
      duration: settings.duration,
    });
  }

  /** Counts one event; over the limit, returns the seconds until the next one is allowed. */
  async consume(key: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(key);
      return undefined;
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when over the limit, with an Error when the database fails.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      this.onHit(this.name);
      return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    }
  }

  /** Counts one event, or throws TOO_MANY_REQUESTS over the limit. */
  async enforce(key: string): Promise<void> {
    const retryAfter = await this.consume(key);
    if (retryAfter !== undefined) throw new RateLimitedError(retryAfter);
  }

  async clear(key: string): Promise<void> {
    await this.limiter.delete(key);
  }

  /** Gives back one event, e.g. a login attempt that turned out to succeed. */
  async refund(key: string): Promise<void> {
    await this.limiter.reward(key, 1);
  }
}

/** A short, stable stand-in for an identifier: emails and usernames are case-insensitive here. */
function keyOf(identifier: string): string {
  return createHash('sha256').update(identifier.trim().toLowerCase()).digest('base64url').slice(0, 32);
}

export interface RateLimitsDependencies {
  db: Database;
  config: RateLimitConfig;
  metrics?: Pick<Metrics, 'rateLimitHits'>;
}

export class RateLimits {
  private readonly limits: Partial<Record<RateLimitName, Limit>> = {};
  private readonly db: Database;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor({ db, config, metrics }: RateLimitsDependencies) {
    this.db = db;
    const onHit = (limit: RateLimitName) => metrics?.rateLimitHits.inc({ limit });
    const settings: Record<RateLimitName, RateLimit | undefined> = {
      login: config.login,
      login_per_client: config.loginPerClient,
      register_per_client: config.registerPerClient,
      reset_request: config.resetRequest,
      reset_request_per_client: config.resetRequestPerClient,
      reset_attempt: config.resetAttempt,
      mfa_attempt: config.mfaAttempt,
    };
    for (const [name, limit] of Object.entries(settings) as [RateLimitName, RateLimit | undefined][]) {
      if (limit) this.limits[name] = new Limit(name, limit, db.pool, onHit);
    }
  }

  /**
   * Before a password is checked: counts the attempt against the account (the user id when the
   * login names one, else the login text, so unknown accounts are limited alike and the answer
   * reveals nothing) and against the client. Throws TOO_MANY_REQUESTS over either limit.
   * Counting before the check, atomically, means parallel guesses cannot overshoot the limit.
   */
  async loginAttempt(account: string, origin: RequestOrigin = {}): Promise<void> {
    // The client first: attempts it refuses (credential stuffing) then leave the accounts alone.
    if (origin.client) await this.limits.login_per_client?.enforce(keyOf(origin.client));
    await this.limits.login?.enforce(keyOf(account));
  }

  /** A correct password: the account's failures are forgotten; the client's attempt is given back. */
  async loginSucceeded(account: string, origin: RequestOrigin = {}): Promise<void> {
    await this.limits.login?.clear(keyOf(account));
    if (origin.client) await this.limits.login_per_client?.refund(keyOf(origin.client));
  }

  /** Before an account is created: counts it against the client. Throws TOO_MANY_REQUESTS. */
  async registration(origin: RequestOrigin = {}): Promise<void> {
    if (origin.client) await this.limits.register_per_client?.enforce(keyOf(origin.client));
  }

  /**
   * Before a reset request is recorded. `false`: over a limit — record nothing and send nothing,
   * but answer exactly as for an accepted request, so the answer never says whether the address
   * has an account, nor that it is being limited.
   */
  async resetRequest(email: string, origin: RequestOrigin = {}): Promise<boolean> {
    const perEmail = await this.limits.reset_request?.consume(keyOf(email));
    if (perEmail !== undefined) return false;
    if (origin.client && (await this.limits.reset_request_per_client?.consume(keyOf(origin.client))) !== undefined) {
      return false;
    }
    return true;
  }

  /** Before a reset token is checked (validate or confirm). Throws TOO_MANY_REQUESTS. */
  async resetAttempt(email: string): Promise<void> {
    await this.limits.reset_attempt?.enforce(keyOf(email));
  }

  /**
   * Before a second-factor code (TOTP or recovery code) is checked, per account: six digits fall to
   * guessing without it. Throws TOO_MANY_REQUESTS. A right code clears the count.
   */
  async mfaAttempt(userId: number): Promise<void> {
    await this.limits.mfa_attempt?.enforce(keyOf(`user:${userId}`));
  }

  async mfaSucceeded(userId: number): Promise<void> {
    await this.limits.mfa_attempt?.clear(keyOf(`user:${userId}`));
  }

  /** Deletes long-expired counters every few minutes until `stop`; they are dead weight, not state. */
  startSweeping(onError: (error: unknown) => void): void {
    this.sweepTimer ??= setInterval(() => this.sweep().catch(onError), SWEEP_EVERY_MS).unref();
  }

  async sweep(): Promise<void> {
    // One statement for every limit (they share the table); instances sweeping at once do no harm.
    await this.db.prisma.rateLimit.deleteMany({ where: { expire: { lt: BigInt(Date.now() - SWEEP_AFTER_MS) } } });
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
