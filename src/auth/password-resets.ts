// Password reset by emailed token (contract §3): request, validate, confirm.
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
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { inTransaction } from '../db/transaction';
import { email as emailSchema, validateField } from './accounts';
import { InvalidInputError, InvalidResetTokenError, type FieldErrors } from './errors';
import type { PasswordPolicy } from './password-policy';
import type { RowTokens } from './row-tokens';
import type { PasswordHasher } from './passwords';
import type { RateLimits, RequestOrigin } from './rate-limits';
import type { Queryable, Sessions } from './sessions';

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

// One statement for every email, known or not, active or not: the same work and the same round
// trip, so the answer's timing says little about the account (the floor hides the rest).
// At most one request per user per interval keeps the endpoint from flooding someone's inbox.
const RECORD_REQUEST = {
  name: 'password_resets.record',
  text: `INSERT INTO password_reset_requests (id, user_id, created_at, expires_at)
         SELECT $1, u.id, $2, $3 FROM users u
          WHERE u.email = $4 AND u.is_active
            AND NOT EXISTS (SELECT 1 FROM password_reset_requests r
                             WHERE r.user_id = u.id AND r.used_at IS NULL AND r.created_at > $5)`,
};

interface LiveRequest {
  id: string;
  user_id: number;
  username: string;
  email: string;
}

const LIVE_REQUESTS = {
  name: 'password_resets.live',
  text: `SELECT r.id, r.user_id, u.username, u.email
           FROM password_reset_requests r JOIN users u ON u.id = r.user_id
          WHERE u.email = $1 AND u.is_active
            AND r.used_at IS NULL AND r.expires_at > $2 AND r.created_at >= u.password_changed_at
          ORDER BY r.created_at DESC
          LIMIT ${MAX_LIVE_REQUESTS}`,
};

// Confirm takes the user row first, like a password change, so the two serialise instead of
// deadlocking, and reads the latest committed password_changed_at.
const LOCK_USER = {
  name: 'password_resets.lock_user',
  text: `SELECT password_changed_at FROM users WHERE id = $1 AND is_active FOR UPDATE`,
};

// Single use, race-safe: of two confirms with one token, exactly one gets the row back.
const CONSUME = {
  name: 'password_resets.consume',
  text: `UPDATE password_reset_requests SET used_at = $3
          WHERE id = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > $3 AND created_at >= $4
          RETURNING id`,
};

const USE_OUTSTANDING = {
  name: 'password_resets.use_outstanding',
  text: `UPDATE password_reset_requests SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
};

/** Kills every reset link the user was sent; part of any password change, in its transaction. */
export async function useOutstandingResets(db: Queryable, userId: number, now: Date): Promise<void> {
  await db.query({ ...USE_OUTSTANDING, values: [userId, now] });
}

const SET_PASSWORD = {
  name: 'password_resets.set_password',
  text: `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`,
};

export class PasswordResets {
  private readonly minRequestMillis: number;
  private readonly requestInterval: number;

  constructor(
    private readonly db: Database,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: Sessions,
    private readonly tokens: RowTokens,
    private readonly clock: Clock,
    private readonly limits: RateLimits,
    private readonly options: PasswordResetOptions,
  ) {
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
      await this.db.pool.query({ ...RECORD_REQUEST, values: [randomUUID(), now, expires, address, recentSince] });
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
    await inTransaction(this.db.pool, (client) => this.apply(client, request, hash));
  }

  private async apply(client: pg.PoolClient, request: LiveRequest, hash: string): Promise<void> {
    const now = this.clock.now();
    const { rows } = await client.query<{ password_changed_at: Date }>({ ...LOCK_USER, values: [request.user_id] });
    const user = rows[0];
    if (!user) throw new InvalidResetTokenError();
    const consumed = await client.query({ ...CONSUME, values: [request.id, request.user_id, now, user.password_changed_at] });
    // Used, expired or outdated since it was found (a concurrent confirm or password change).
    if (consumed.rowCount !== 1) throw new InvalidResetTokenError();
    await client.query({ ...SET_PASSWORD, values: [request.user_id, hash, now] });
    await useOutstandingResets(client, request.user_id, now);
    await this.sessions.endAll(request.user_id, 'password_reset', undefined, client);
  }

  /** The live request the token was derived from, compared in constant time; else INVALID_TOKEN. */
  private async find(email: string, token: string): Promise<LiveRequest> {
    const address = emailSchema.safeParse(email);
    // Anything that cannot be a token or an email is as wrong as a wrong token, without a query.
    if (!address.success || !this.tokens.wellFormed(token)) throw new InvalidResetTokenError();
    const { rows } = await this.db.pool.query<LiveRequest>({ ...LIVE_REQUESTS, values: [address.data, this.clock.now()] });
    let found: LiveRequest | undefined;
    for (const row of rows) {
      // No early exit: how long the loop runs says nothing about which row matched.
      if (this.tokens.matches(token, { id: row.id, userId: row.user_id }) && !found) found = row;
    }
    if (!found) throw new InvalidResetTokenError();
    return found;
  }

  private checkBlank(input: { email: string; token: string }): void {
    const fields: FieldErrors = {};
    if (!input.email.trim()) fields.email = [BLANK];
    if (!input.token) fields.token = [BLANK];
    if (Object.keys(fields).length) throw new InvalidInputError(fields);
  }
}
