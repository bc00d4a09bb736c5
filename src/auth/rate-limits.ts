// Rate limits, kept in PostgreSQL (table rate_limits) so that every instance of the service counts
// together: behind Hasura, several instances share one database and nothing else.
//
// The domain calls these (accounts, password resets, registrations, email deliveries), never an
// adapter, so every way in — GraphQL, a CLI, a test — is limited alike. rate-limiter-flexible does
// the counting: one atomic upsert per event on the service's own pool, so the limiter needs no
// connection of its own (the embedded database has exactly one) — but do not call it while holding
// a pool client in a transaction, or on the embedded database it waits for that very connection.
//
// Keys are `<limit>:<HMAC>`, an HMAC of the identifier (a login text, an email, a client address)
// under a key derived from AUTH_SECRET: the table holds no email, username or address, and
// without the secret a key cannot be reversed by trying every IPv4 address.
//
// The table is capped: the sweep (every minute, every instance) deletes ended windows and counts
// each limit's live counters. A limit holding RATE_LIMIT_MAX_KEYS or more is saturated — someone
// is sending random names — and until a sweep finds it below the cap again, it refuses every
// identifier it has no live counter for (fail closed: a flood of names may not lift the limits),
// while identifiers already counted go on as before. Between two sweeps the table can grow past
// the cap by what arrives in one minute.
import { createHmac } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimit, RateLimitConfig } from '../config';
import type { Database } from '../db/database';
import type { Metrics, RateLimitName } from '../metrics';
import { RateLimitedError } from './errors';
import { normaliseLogin } from './usernames';
import { statement } from '../db/statements';

export const RATE_LIMIT_TABLE = 'rate_limits';

/** Where a request came from, as far as the service can tell. */
export interface RequestOrigin {
  /** The client's address; known only with TRUST_PROXY (behind Hasura every request comes from Hasura). */
  client?: string;
  /** The client's User-Agent as sent (Hasura forwards it only with forward_client_headers); kept with a new session. */
  userAgent?: string;
}

/** An expired row is dead weight (the next event starts a new window): deleted this often. */
const SWEEP_EVERY_MS = 60 * 1000;

/** The key of a limit that counts everyone together. */
const EVERYONE = 'everyone';

/**
 * A login text's counter as a statement of its own counts it (countEventSql), instead of the
 * limiter's upsert: the password login counts the attempt and reads the account in one round trip.
 */
export interface LimitCounter {
  /** The stored key, `<limit>:<HMAC>`: the limiter's own, so both ways count the same attempts. */
  readonly key: string;
  /** When a new window ends, in milliseconds since the epoch (Date.now, like the limiter's rows). */
  readonly expire: number;
  readonly now: number;
  /** The limit is at its cap: an identifier with no live counter is refused, not counted. */
  readonly saturated: boolean;
}

/**
 * One event counted on a counter, exactly as rate-limiter-flexible's own upsert counts it (a
 * window that has ended starts again at 1), for use as a CTE in a larger statement. Parameters:
 * the key (NULL: count nothing), the new window's end, now, and whether the limit is saturated —
 * then only an identifier with a live counter is counted (no row comes back otherwise), as
 * Limit.consume does. Returns `points, expire` (a bigint, which pg hands over as text).
 */
export function countEventSql(params: { key: string; expire: string; now: string; saturated: string }): string {
  const { key, expire, now, saturated } = params;
  return `INSERT INTO ${RATE_LIMIT_TABLE} AS rl (key, points, expire)
     SELECT ${key}, 1, ${expire}
      WHERE ${key} IS NOT NULL
        AND (NOT ${saturated} OR EXISTS (SELECT 1 FROM ${RATE_LIMIT_TABLE} live WHERE live.key = ${key} AND live.expire > ${now}))
     ON CONFLICT (key) DO UPDATE SET
       points = CASE WHEN rl.expire <= ${now} THEN 1 ELSE rl.points + 1 END,
       expire = CASE WHEN rl.expire <= ${now} THEN EXCLUDED.expire ELSE rl.expire END
     RETURNING points, expire`;
}

/** A counter forgotten, for use as a CTE in a larger statement; a NULL key forgets nothing. */
export function forgetCounterSql(key: string): string {
  return `DELETE FROM ${RATE_LIMIT_TABLE} WHERE key = ${key}`;
}

const FORGET = statement<[key: string]>('rate_limits.forget', forgetCounterSql('$1'));

/** Whole seconds until a window ends, at least one (what Retry-After says). */
function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

class Limit {
  private readonly limiter: RateLimiterPostgres;

  /** Set by the sweep: the limit holds RATE_LIMIT_MAX_KEYS counters or more. */
  saturated = false;

  constructor(
    readonly name: RateLimitName,
    private readonly settings: RateLimit,
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
    if (this.saturated && !(await this.limiter.get(key))) {
      this.onHit(this.name);
      return this.settings.duration;
    }
    try {
      await this.limiter.consume(key);
      return undefined;
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when over the limit, with an Error when the database fails.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      this.onHit(this.name);
      return retryAfterSeconds(rejection.msBeforeNext);
    }
  }

  /** A counter for a statement that counts the event itself (LimitCounter). */
  counter(key: string): LimitCounter {
    const now = Date.now();
    return { key: `${this.name}:${key}`, now, expire: now + this.settings.duration * 1000, saturated: this.saturated };
  }

  /**
   * The verdict on an event a statement counted: `points` and `expire` as countEventSql returned
   * them, or null when it counted nothing (saturated, no live counter). Throws TOO_MANY_REQUESTS
   * exactly when `enforce` would have.
   */
  check(counter: LimitCounter, points: number | null, expire: number | null): void {
    if (points === null) {
      this.onHit(this.name);
      throw new RateLimitedError(this.settings.duration);
    }
    if (points <= this.settings.points) return;
    this.onHit(this.name);
    throw new RateLimitedError(retryAfterSeconds((expire ?? counter.now) - counter.now));
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

/**
 * The client as the per-client limits see it: an IPv4 address (also when written IPv4-mapped,
 * ::ffff:203.0.113.9), or an IPv6 /64 — one subscriber's network, within which an address can be
 * changed at will.
 */
export function clientIdentity(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const network = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${network.join(':')}::/64`;
}

export interface RateLimitsDependencies {
  db: Database;
  config: RateLimitConfig;
  /** The HMAC key of stored keys; derived from AUTH_SECRET, used for nothing else. */
  key: Buffer;
  metrics?: Pick<Metrics, 'rateLimitHits'>;
}

export class RateLimits {
  private readonly limits: Partial<Record<RateLimitName, Limit>> = {};
  private readonly db: Database;
  private readonly key: Buffer;
  private readonly maxKeys: number;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor({ db, config, key, metrics }: RateLimitsDependencies) {
    this.db = db;
    this.key = key;
    this.maxKeys = config.maxKeys;
    const onHit = (limit: RateLimitName) => metrics?.rateLimitHits.inc({ limit });
    const settings: Record<RateLimitName, RateLimit | undefined> = {
      login: config.login,
      login_per_client: config.loginPerClient,
      register: config.register,
      register_per_client: config.registerPerClient,
      reset_request: config.resetRequest,
      reset_request_per_client: config.resetRequestPerClient,
      reset_attempt: config.resetAttempt,
      email_per_domain: config.emailPerDomain,
      mfa_attempt: config.mfaAttempt,
      signin_email: config.signinEmail,
      signin_email_per_client: config.signinEmailPerClient,
      anonymous_per_client: config.anonymousPerClient,
    };
    for (const [name, limit] of Object.entries(settings) as [RateLimitName, RateLimit | undefined][]) {
      if (limit) this.limits[name] = new Limit(name, limit, db.pool, onHit);
    }
  }

  /** The stored stand-in for an identifier: a keyed hash (see the top of this file). */
  private keyOf(identifier: string): string {
    return createHmac('sha256', this.key).update(identifier).digest('base64url');
  }

  private clientKey(origin: RequestOrigin): string | undefined {
    return origin.client === undefined ? undefined : this.keyOf(`client:${clientIdentity(origin.client)}`);
  }

  /** An email or login text as the database compares it, so `ANN@x` and `ann@x` count together. */
  private textKey(text: string): string {
    return this.keyOf(`text:${normaliseLogin(text.trim()).text}`);
  }

  /**
   * Before a password is checked: counts the attempt against each login text (a login's one text,
   * or both of an account's for a password change) and against the client. Throws
   * TOO_MANY_REQUESTS over any limit. Counting before the check, atomically, means parallel
   * guesses cannot overshoot the limit.
   */
  async loginAttempt(logins: string[], origin: RequestOrigin = {}): Promise<void> {
    // The client first: attempts it refuses (credential stuffing) then leave the accounts alone.
    await this.clientLoginAttempt(origin);
    for (const login of logins) await this.limits.login?.enforce(this.textKey(login));
  }

  /**
   * The password login's counter of its login text, which the login's own statement counts
   * (countEventSql) together with reading the account; `undefined` without a login limit.
   */
  loginCounter(login: string): LimitCounter | undefined {
    return this.limits.login?.counter(this.textKey(login));
  }

  /** The verdict on a login attempt counted by loginCounter's statement; throws TOO_MANY_REQUESTS. */
  checkLoginCount(counter: LimitCounter | undefined, points: number | null, expire: number | null): void {
    if (counter) this.limits.login?.check(counter, points, expire);
  }

  /** The password login's per-client count (only with TRUST_PROXY); throws TOO_MANY_REQUESTS. */
  async clientLoginAttempt(origin: RequestOrigin): Promise<void> {
    const client = this.clientKey(origin);
    if (client) await this.limits.login_per_client?.enforce(client);
  }

  /** A right password: the client's attempt is given back (the text's counter goes with the sign-in). */
  async clientLoginSucceeded(origin: RequestOrigin): Promise<void> {
    const client = this.clientKey(origin);
    if (client) await this.limits.login_per_client?.refund(client);
  }

  /** Forgets a counter (a right password's login text) on its own, when no statement forgot it. */
  async forget(counter: LimitCounter): Promise<void> {
    await FORGET.run(this.db.pool, counter.key);
  }

  /** A correct password: the texts' failures are forgotten; the client's attempt is given back. */
  async loginSucceeded(logins: string[], origin: RequestOrigin = {}): Promise<void> {
    for (const login of logins) await this.limits.login?.clear(this.textKey(login));
    await this.clientLoginSucceeded(origin);
  }

  /** Before an account is created: counts it against the client, then against everyone's sign-ups. Throws TOO_MANY_REQUESTS. */
  async registration(origin: RequestOrigin = {}): Promise<void> {
    const client = this.clientKey(origin);
    if (client) await this.limits.register_per_client?.enforce(client);
    await this.limits.register?.enforce(EVERYONE);
  }

  /**
   * Before a reset request is recorded. `false`: over a limit — record nothing and send nothing,
   * but answer exactly as for an accepted request, so the answer never says whether the address
   * has an account, nor that it is being limited.
   */
  async resetRequest(email: string, origin: RequestOrigin = {}): Promise<boolean> {
    const perEmail = await this.limits.reset_request?.consume(this.textKey(email));
    if (perEmail !== undefined) return false;
    const client = this.clientKey(origin);
    if (client && (await this.limits.reset_request_per_client?.consume(client)) !== undefined) return false;
    return true;
  }

  /** Before a reset token is checked (validate or confirm). Throws TOO_MANY_REQUESTS. */
  async resetAttempt(email: string): Promise<void> {
    await this.limits.reset_attempt?.enforce(this.textKey(email));
  }

  /**
   * Before an email is sent to `address`: counts it against the recipient's domain. `false`: over
   * the limit, do not send (whoever can register addresses at will must not turn the service
   * into a mail cannon aimed at one domain).
   */
  async emailTo(address: string): Promise<boolean> {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    return (await this.limits.email_per_domain?.consume(this.keyOf(`domain:${normaliseLogin(domain).text}`))) === undefined;
  }

  /**
   * Before a second-factor code (TOTP or recovery code) is checked, per account: six digits fall to
   * guessing without it. Throws TOO_MANY_REQUESTS. A right code clears the count.
   */
  async mfaAttempt(userId: number): Promise<void> {
    await this.limits.mfa_attempt?.enforce(this.keyOf(`user:${userId}`));
  }

  async mfaSucceeded(userId: number): Promise<void> {
    await this.limits.mfa_attempt?.clear(this.keyOf(`user:${userId}`));
  }

  /**
   * Before a sign-in email request is recorded. `false`: over a limit — record nothing, send
   * nothing, answer as for an accepted request (as resetRequest does).
   */
  async signinEmailRequest(email: string, origin: RequestOrigin = {}): Promise<boolean> {
    if ((await this.limits.signin_email?.consume(this.textKey(email))) !== undefined) return false;
    const client = this.clientKey(origin);
    if (client && (await this.limits.signin_email_per_client?.consume(client)) !== undefined) return false;
    return true;
  }

  /**
   * Before an anonymous user is made: per client (only known with TRUST_PROXY), then against
   * everyone's registrations, since each one is a new account. Throws TOO_MANY_REQUESTS.
   */
  async anonymousSignIn(origin: RequestOrigin = {}): Promise<void> {
    const client = this.clientKey(origin);
    if (client) await this.limits.anonymous_per_client?.enforce(client);
    await this.limits.register?.enforce(EVERYONE);
  }

  /** Deletes expired counters every minute until `stop`; they are dead weight, not state. */
  startSweeping(onError: (error: unknown) => void): void {
    this.sweepTimer ??= setInterval(() => this.sweep().catch(onError), SWEEP_EVERY_MS).unref();
  }

  /**
   * Deletes every counter whose window has ended, then counts the live ones and marks each limit
   * saturated or not (see the top of this file). `now` is milliseconds since the epoch, from
   * Date.now like the limiter's own `expire` values; tests pass a later time. Answers the number
   * of counters deleted.
   */
  async sweep(now: number = Date.now()): Promise<number> {
    // One statement for every limit (they share the table); instances sweeping at once do no harm.
    const { count } = await this.db.prisma.rateLimit.deleteMany({ where: { expire: { lt: BigInt(now) } } });
    // Live counters per limit. SQL because the limit is the key's prefix (`<limit>:<HMAC>`, the
    // library's keyPrefix), which Prisma's groupBy cannot take apart.
    const rows = await this.db.prisma.$queryRaw<{ name: string; live: number }[]>`
      SELECT split_part(key, ':', 1) AS name, count(*)::int AS live FROM rate_limits WHERE expire >= ${BigInt(now)} GROUP BY 1`;
    const live = new Map(rows.map((row) => [row.name, row.live]));
    for (const limit of Object.values(this.limits)) limit.saturated = (live.get(limit.name) ?? 0) >= this.maxKeys;
    return count;
  }

  /** Whether a limit refuses identifiers it has not counted yet (the table is at its cap for it). */
  saturated(name: RateLimitName): boolean {
    return this.limits[name]?.saturated ?? false;
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
