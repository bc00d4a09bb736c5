// Sessions and refresh tokens (contract §2). A refresh token is 256 random bits, handed out once
// and stored only as its SHA-256 hash; a session is the family of refresh tokens of one login.
//
// These are the hottest paths of the service, so they run on `pg` with named (prepared)
// statements and one round trip each, rather than through Prisma.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../clock';
import type { TokenSubject } from './access-tokens';
import { UnauthenticatedError } from './errors';

export type SessionEndReason =
  | 'logout'
  | 'password_change'
  | 'password_reset'
  | 'reuse'
  | 'role_change'
  | 'inactive'
  | 'expired';

export interface SessionOptions {
  /** Seconds a refresh token lives. */
  refreshTokenTtl: number;
  rotation: boolean;
  /** Seconds a rotated-out token still works, for clients racing with themselves. */
  reuseGrace: number;
}

export interface RefreshResult {
  subject: TokenSubject;
  /** Set when rotation is on. */
  refreshToken: string | undefined;
}

/** A `pg` pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

const REFRESH_TOKEN_BYTES = 32;

/** Sessions from before the amr column were password sign-ins. */
const DEFAULT_AMR = ['pwd'];

export const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/** What FIND_TOKEN returns. */
export interface TokenRow {
  session_id: string;
  expires_at: Date;
  retired_at: Date | null;
  revoked_at: Date | null;
  session_role_id: number;
  amr: string[] | null;
  user_id: number;
  username: string;
  email: string;
  is_active: boolean;
  role_id: number;
  role: string;
}

/** The refresh path's one lookup; exported so the benchmark's baseline runs the very same statement. */
export const FIND_TOKEN = {
  name: 'sessions.find_token',
  text: `SELECT rt.session_id, rt.expires_at, rt.retired_at, s.revoked_at, s.role_id AS session_role_id, s.amr,
                u.id AS user_id, u.username, u.email, u.is_active, u.role_id, r.name AS role
           FROM refresh_tokens rt
           JOIN sessions s ON s.id = rt.session_id
           JOIN users u ON u.id = s.user_id
           JOIN roles r ON r.id = u.role_id
          WHERE rt.token_hash = $1`,
};

// Session, first token and the user's last login in one statement.
const START = {
  name: 'sessions.start',
  text: `WITH s AS (
           INSERT INTO sessions (id, user_id, role_id, created_at, last_used_at, amr) VALUES ($1, $2, $3, $4, $4, $7) RETURNING id
         ), u AS (
           UPDATE users SET last_login_at = $4 WHERE id = $2
         )
         INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
         SELECT $5, s.id, $4, $6 FROM s`,
};

// Retire the presented token and issue its successor atomically: of two concurrent refreshes
// with one token, exactly one gets a row back.
const ROTATE = {
  name: 'sessions.rotate',
  text: `WITH retired AS (
           UPDATE refresh_tokens SET retired_at = $2 WHERE token_hash = $1 AND retired_at IS NULL RETURNING session_id
         ), touched AS (
           UPDATE sessions SET last_used_at = $2 WHERE id IN (SELECT session_id FROM retired)
         )
         INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
         SELECT $3, session_id, $2, $4 FROM retired`,
};

const ADD_TOKEN = {
  name: 'sessions.add_token',
  text: `INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
};

const END = {
  name: 'sessions.end',
  text: `UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL`,
};

const END_BY_TOKEN = {
  name: 'sessions.end_by_token',
  text: `UPDATE sessions SET revoked_at = $2, revoked_reason = 'logout'
          WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
};

const END_ALL = {
  name: 'sessions.end_all',
  text: `UPDATE sessions SET revoked_at = $2, revoked_reason = $3
          WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $4::uuid`,
};

const IS_LIVE = {
  name: 'sessions.is_live',
  text: `SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
};

export class Sessions {
  constructor(
    private readonly db: Queryable,
    private readonly options: SessionOptions,
    private readonly clock: Clock,
  ) {}

  /**
   * Starts a session for a user who just proved who they are, with `amr` saying how; records the
   * login time.
   */
  async start(userId: number, roleId: number, amr: string[]): Promise<{ sessionId: string; refreshToken: string }> {
    const now = this.clock.now();
    const sessionId = randomUUID();
    const { token, hash } = newRefreshToken();
    await this.db.query({ ...START, values: [sessionId, userId, roleId, now, hash, this.expiry(now), amr] });
    return { sessionId, refreshToken: token };
  }

  /**
   * Exchanges a refresh token for the identity to put in a new access token. Refuses (and ends the
   * session) when the token expired, the user is inactive or the user's role changed; with
   * rotation, retires the token and returns its successor.
   */
  async refresh(refreshToken: string): Promise<RefreshResult> {
    const now = this.clock.now();
    const hash = hashRefreshToken(refreshToken);
    const { rows } = await this.db.query<TokenRow>({ ...FIND_TOKEN, values: [hash] });
    const row = rows[0];
    if (!row || row.revoked_at) throw new UnauthenticatedError('The refresh token is invalid or has expired.');

    const reason = this.refusal(row, now);
    if (reason) {
      await this.end(row.session_id, reason);
      throw new UnauthenticatedError('The refresh token is invalid or has expired.');
    }

    const subject: TokenSubject = {
      userId: row.user_id,
      username: row.username,
      email: row.email,
      role: row.role,
      sessionId: row.session_id,
      amr: row.amr ?? DEFAULT_AMR,
    };
    if (!this.options.rotation && !row.retired_at) return { subject, refreshToken: undefined };

    const next = newRefreshToken();
    if (!row.retired_at) {
      const rotated = await this.db.query({ ...ROTATE, values: [hash, now, next.hash, this.expiry(now)] });
      if (rotated.rowCount === 1) return { subject, refreshToken: next.token };
      // A concurrent refresh with the same token retired it a moment ago: inside the grace window.
    }
    // Inside the grace window a retired token gets a sibling successor, so a client racing with
    // itself (two tabs, a retry) keeps its session.
    await this.db.query({ ...ADD_TOKEN, values: [next.hash, row.session_id, now, this.expiry(now)] });
    return { subject, refreshToken: next.token };
  }

  /** Ends the session a refresh token belongs to. Unknown tokens end nothing and are not an error. */
  async logout(refreshToken: string): Promise<void> {
    await this.db.query({ ...END_BY_TOKEN, values: [hashRefreshToken(refreshToken), this.clock.now()] });
  }

  async end(sessionId: string, reason: SessionEndReason, db: Queryable = this.db): Promise<void> {
    await db.query({ ...END, values: [sessionId, this.clock.now(), reason] });
  }

  /** Ends every live session of a user, except `keep` (the caller's own, on a password change). */
  async endAll(userId: number, reason: SessionEndReason, keep?: string, db: Queryable = this.db): Promise<number> {
    const result = await db.query({ ...END_ALL, values: [userId, this.clock.now(), reason, keep ?? null] });
    return result.rowCount ?? 0;
  }

  async isLive(sessionId: string, userId: number): Promise<boolean> {
    // A signed token from another issuer sharing the key could carry any `sid`; PostgreSQL would
    // refuse a non-UUID with an error instead of "no such session".
    if (!SESSION_ID.test(sessionId)) return false;
    const { rowCount } = await this.db.query({ ...IS_LIVE, values: [sessionId, userId] });
    return rowCount === 1;
  }

  private refusal(row: TokenRow, now: Date): SessionEndReason | undefined {
    if (row.expires_at.getTime() <= now.getTime()) return 'expired';
    if (!row.is_active) return 'inactive';
    if (row.role_id !== row.session_role_id) return 'role_change';
    if (row.retired_at && now.getTime() - row.retired_at.getTime() > this.options.reuseGrace * 1000) return 'reuse';
    return undefined;
  }

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.options.refreshTokenTtl * 1000);
  }
}
