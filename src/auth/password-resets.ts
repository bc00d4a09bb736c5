// Password reset by emailed token: request, validate, confirm.
//
// A request records a row in password_reset_requests; Hasura's event trigger hands the row to the
// email webhook, which derives the token from it (RowTokens.tokenFor) — no usable token is
// stored anywhere. A token is valid while its row is unused and unexpired, the user is active,
// and the password has not changed since the row was made: every password change marks the
// user's outstanding rows used, and a row made before users.password_changed_at is refused too,
// in case a password was set by some route that did not. (A row made in the very millisecond of
// the change counts as made after it, so a test clock that has not moved still gives a working link.)
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock';
import { TRANSACTION_OPTIONS, type Database, type Db } from '../db/database';
import { email as emailSchema, validateField } from './accounts';
import { InvalidInputError, InvalidResetTokenError, type FieldErrors } from './errors';
import type { PasswordPolicy } from './password-policy';
import type { RowTokens } from './row-tokens';
import type { PasswordHasher } from './passwords';
import type { RateLimits, RequestOrigin } from './rate-limits';
import type { Sessions } from './sessions';
import { lockActiveUser, setPassword } from './users';

export interface PasswordResetOptions {
  /** Seconds a reset token lives (PASSWORD_RESET_TTL). */
  ttlSeconds: number;
  /**
   * Milliseconds a reset request takes at least, whether or not the email has an account: the
   * real work (one statement) differs by a row insert, which this floor hides.
   */
  minRequestMillis?: number;
  /** Seconds during which another request for the same user records nothing (and sends no email). */
  requestInterval?: number;
}

export const DEFAULT_MIN_REQUEST_MILLIS = 200;
export const DEFAULT_REQUEST_INTERVAL = 60;
/** Live requests looked at per validation: more than the interval lets one user make in one TTL. */
const MAX_LIVE_REQUESTS = 100;

const BLANK = 'This field may not be blank.';

interface LiveRequest {
  id: string;
  userId: number;
  username: string;
  email: string;
}

/** Kills every reset link the user was sent; part of any password change, in its transaction. */
export async function expireResetRequests(db: Db, userId: number, now: Date): Promise<void> {
  await db.passwordResetRequest.updateMany({ where: { userId, usedAt: null }, data: { usedAt: now } });
}

export interface PasswordResetsDependencies {
  db: Database;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: Sessions;
  tokens: RowTokens;
  clock: Clock;
  limits: RateLimits;
  options: PasswordResetOptions;
}

export class PasswordResets {
  private readonly minRequestMillis: number;
  private readonly requestInterval: number;

  private readonly db: Database;
  private readonly hasher: PasswordHasher;
  private readonly policy: PasswordPolicy;
  private readonly sessions: Sessions;
  private readonly tokens: RowTokens;
  private readonly clock: Clock;
  private readonly limits: RateLimits;
  private readonly options: PasswordResetOptions;

  constructor({ db, hasher, policy, sessions, tokens, clock, limits, options }: PasswordResetsDependencies) {
    this.db = db;
    this.hasher = hasher;
    this.policy = policy;
    this.sessions = sessions;
    this.tokens = tokens;
    this.clock = clock;
    this.limits = limits;
    this.options = options;
    this.minRequestMillis = options.minRequestMillis ?? DEFAULT_MIN_REQUEST_MILLIS;
    this.requestInterval = options.requestInterval ?? DEFAULT_REQUEST_INTERVAL;
  }

  /**
   * Records a reset request when the email belongs to an active user. Answers the same, in about
   * the same time, for every well-formed email; only a malformed one is an error (BAD_USER_INPUT).
   */
  async request(email: string, origin: RequestOrigin = {}): Promise<void> {
    const started = performance.now();
    const fields: FieldErrors = {};
    const address = validateField(fields, 'email', emailSchema, email);
    if (!address) throw new InvalidInputError(fields);

    // Over its limit a request is dropped silently: the same answer, in the same time, so the
    // answer never tells whether an address has an account or is being limited.
    if (await this.limits.resetRequest(address, origin)) {
      const now = this.clock.now();
      const expires = new Date(now.getTime() + this.options.ttlSeconds * 1000);
      const recentSince = new Date(now.getTime() - this.requestInterval * 1000);
      // One statement for every email, known or not, active or not: the same work and the same round
      // trip, so the answer's timing says little about the account (the floor hides the rest). SQL
      // because "insert only if none recent" is race-free only as one statement: at most one request
      // per user per interval keeps the endpoint from flooding someone's inbox. The same statement
      // retires the user's older requests: only the latest link works, so a link left in an old
      // email (or a mailbox read by someone else) dies as soon as the owner asks again.
      await this.db.prisma.$executeRaw`
        WITH u AS (
          SELECT u.id FROM users u
           WHERE u.email = ${address}::citext AND u.is_active AND NOT u.is_anonymous
             AND NOT EXISTS (SELECT 1 FROM password_reset_requests r
                              WHERE r.user_id = u.id AND r.used_at IS NULL AND r.created_at > ${recentSince})
        ), retired AS (
          UPDATE password_reset_requests r SET used_at = ${now} FROM u WHERE r.user_id = u.id AND r.used_at IS NULL
        )
        INSERT INTO password_reset_requests (id, user_id, created_at, expires_at)
        SELECT ${randomUUID()}::uuid, u.id, ${now}, ${expires} FROM u`;
    }

    const remaining = this.minRequestMillis - (performance.now() - started);
    if (remaining > 0) await sleep(remaining);
  }

  /** Answers when the token is valid for the email; INVALID_TOKEN otherwise. Uses nothing up. */
  async validate(input: { email: string; token: string }): Promise<void> {
    this.checkBlank(input);
    await this.limits.resetAttempt(input.email);
    await this.find(input.email, input.token);
  }

  /**
   * Sets a new password with a valid token (the policy applies, under `password`), marks every
   * outstanding request of the user used and ends all the user's sessions. A password the policy
   * refuses leaves the token usable for a better one.
   */
  async confirm(input: { email: string; token: string; password: string }): Promise<void> {
    this.checkBlank(input);
    await this.limits.resetAttempt(input.email);
    const request = await this.find(input.email, input.token);
    const reasons = await this.policy.check(input.password, { username: request.username, email: request.email });
    if (reasons.length) throw new InvalidInputError({ password: reasons });

    const hash = await this.hasher.hash(input.password);
    await this.db.prisma.$transaction((tx) => this.apply(tx, request, hash), TRANSACTION_OPTIONS);
  }

  private async apply(tx: Db, request: LiveRequest, hash: string): Promise<void> {
    const now = this.clock.now();
    // The user row first, like a password change, so the two serialise instead of deadlocking;
    // it also reads the latest committed password_changed_at.
    const user = await lockActiveUser(tx, request.userId);
    if (!user) throw new InvalidResetTokenError();
    // Single use, race-safe: one UPDATE whose WHERE re-checks everything, so of two confirms with
    // one token exactly one changes the row.
    const consumed = await tx.passwordResetRequest.updateMany({
      where: {
        id: request.id,
        userId: request.userId,
        usedAt: null,
        expiresAt: { gt: now },
        createdAt: { gte: user.passwordChangedAt },
      },
      data: { usedAt: now },
    });
    // Used, expired or outdated since it was found (a concurrent confirm or password change).
    if (consumed.count !== 1) throw new InvalidResetTokenError();
    await setPassword(tx, request.userId, hash, now);
    await expireResetRequests(tx, request.userId, now);
    await this.sessions.endAll(request.userId, 'password_reset', undefined, tx);
  }

  /** The live request the token was derived from, compared in constant time; else INVALID_TOKEN. */
  private async find(email: string, token: string): Promise<LiveRequest> {
    const address = emailSchema.safeParse(email);
    // Anything that cannot be a token or an email is as wrong as a wrong token, without a query.
    if (!address.success || !this.tokens.wellFormed(token)) throw new InvalidResetTokenError();
    const rows = await this.liveRequests(address.data);
    let found: LiveRequest | undefined;
    for (const row of rows) {
      // No early exit: how long the loop runs says nothing about which row matched.
      if (this.tokens.matches(token, { id: row.id, userId: row.userId }) && !found) found = row;
    }
    if (!found) throw new InvalidResetTokenError();
    return found;
  }

  /** The user's unused, unexpired requests made since the last password change, newest first. */
  private async liveRequests(email: string): Promise<LiveRequest[]> {
    const user = await this.db.prisma.user.findUnique({
      where: { email },
      select: {
        id: true,
        username: true,
        email: true,
        isActive: true,
        passwordChangedAt: true,
        passwordResetRequests: {
          where: { usedAt: null, expiresAt: { gt: this.clock.now() } },
          orderBy: { createdAt: 'desc' },
          take: MAX_LIVE_REQUESTS,
          select: { id: true, createdAt: true },
        },
      },
    });
    if (!user?.isActive) return [];
    // Newest first, so dropping the requests older than the change keeps the newest live ones.
    return user.passwordResetRequests
      .filter((request) => request.createdAt.getTime() >= user.passwordChangedAt.getTime())
      .map((request) => ({ id: request.id, userId: user.id, username: user.username, email: user.email }));
  }

  private checkBlank(input: { email: string; token: string }): void {
    const fields: FieldErrors = {};
    if (!input.email.trim()) fields.email = [BLANK];
    if (!input.token) fields.token = [BLANK];
    if (Object.keys(fields).length) throw new InvalidInputError(fields);
  }
}
