// Sessions and refresh tokens. A refresh token is 256 random bits, handed out once and stored only
// as its SHA-256 hash; a session is the family of refresh tokens of one login.
//
// Prisma's typed API does the work, except on the refresh path, the hottest of the service: its
// lookup joins four tables, which Prisma would run as one query per relation, and its rotation must
// be ONE statement to be race-safe. Both are typed `pg` named statements (src/db/statements.ts), as
// is a session's start: every sign-in's one write, which a login storm runs once per bcrypt compare.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Database, Db } from '../db/database';
import { statement, type Statement } from '../db/statements';
import type { TokenSubject } from './access-tokens';
import { UnauthenticatedError } from './errors';
import { forgetCounterSql, type LimitCounter } from './rate-limits';
import { claimsCallSql, grantedRolesSql, type TokenGrants, type UserGrants } from './token-claims';

export type SessionEndReason =
  | 'logout'
  | 'password_change'
  | 'password_reset'
  | 'reuse'
  | 'role_change'
  | 'inactive'
  | 'expired'
  /** The user ended it from the list of their sessions (user_session_revoke). */
  | 'revoked'
  /** user_logout_all. */
  | 'logout_all'
  /** The account's email changed (every session but the one that asked). */
  | 'email_change';

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

const REFRESH_TOKEN_BYTES = 32;

export const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/**
 * Why FIND_TOKEN refuses a token: the session's end reason, or `ended` for a session already ended
 * (logout, revocation, an earlier refusal), which is refused without being ended again.
 */
export type TokenRefusal = 'ended' | Extract<SessionEndReason, 'expired' | 'inactive' | 'role_change' | 'reuse'>;

/**
 * What FIND_TOKEN returns: what the access token needs, and the verdict on the token, computed by
 * the statement from the instants it is given. No timestamp comes back, and no column only the
 * verdict needed: profiles put node-pg's per-column row setup and its parsing of the four
 * timestamps this row used to carry into Dates at 15–20 µs a refresh. It comes back as ONE json
 * column (FindTokenResult) for the same reason: node-pg describes and sets up every column of
 * every result, and parses arrays in JavaScript, where JSON.parse reads the whole row natively.
 */
export interface TokenRow {
  session_id: string;
  /** Null when the token may be used; otherwise the first of the rules in findTokenStatement that holds. */
  refusal: TokenRefusal | null;
  /** The token was rotated out (its successor issued): usable only inside the reuse grace. */
  retired: boolean;
  /** The session's last use is at least a minute old (TOUCH_INTERVAL_MS): a refresh records it. */
  touch_due: boolean;
  user_id: number;
  username: string;
  email: string;
  role: string;
  is_anonymous: boolean;
  /** NULL only for sessions started before amr was recorded: those were password sign-ins. */
  amr: string[] | null;
  email_verified: boolean;
  /** Roles granted besides the default one (user_roles). */
  granted_roles: string[];
  /** JWT_CLAIMS_FUNCTION's result; NULL without one. */
  claims: unknown;
}

/** FIND_TOKEN's one column: the row as JSON (see TokenRow). */
export interface FindTokenResult {
  token: TokenRow;
}

/**
 * FIND_TOKEN's parameters. Every instant is computed by the caller from its clock (never the
 * database's now()), and compared as is: timestamps are stored to the millisecond, as Dates are.
 * Instants travel as milliseconds since the epoch (Date.getTime()), which node-pg sends as the
 * number's text, where a Date costs it a local-time formatting per parameter on the hot path;
 * the statement turns them back into the same instants exactly (msSql).
 */
export type FindTokenParams = [
  tokenHash: string,
  /** The clock's now: a token expiring at or before it is expired. */
  nowMs: number,
  /** A retired token retired before this instant is reuse (now minus the grace: tokenCutoffs). */
  reuseBeforeMs: number,
  /** A session last used at or before this instant is due a touch (now minus TOUCH_INTERVAL_MS). */
  touchByMs: number,
];

/**
 * The timestamptz of a parameter holding epoch milliseconds. Exact for every instant a clock can
 * give: the whole number of milliseconds is exact as a double (under 2^53), and to_timestamp rounds
 * seconds × 10^6 to whole microseconds, within a fraction of a microsecond of the true value.
 */
function msSql(param: string): string {
  return `to_timestamp(${param}::float8 / 1000)`;
}

/**
 * The refresh path's one lookup, with the user's granted roles and, given JWT_CLAIMS_FUNCTION, its
 * result: everything the new access token needs in one round trip, and the refusal rules applied
 * in SQL, in this order — a session already ended (`ended`), the token expired (expires_at <= now),
 * the user inactive, the user's role no longer the session's (`role_change`), the token retired
 * before the reuse cut-off (`reuse`). Exported so the benchmark's baseline runs the very same
 * statement.
 */
export function findTokenStatement(claimsFunction?: string): Statement<FindTokenParams, FindTokenResult> {
  return statement<FindTokenParams, FindTokenResult>(
    claimsFunction === undefined ? 'sessions.find_token' : `sessions.find_token:${claimsFunction}`,
    `SELECT json_build_object(
              'session_id', rt.session_id,
              'refusal', CASE WHEN s.revoked_at IS NOT NULL THEN 'ended'
                              WHEN rt.expires_at <= ${msSql('$2')} THEN 'expired'
                              WHEN NOT u.is_active THEN 'inactive'
                              WHEN u.role_id <> s.role_id THEN 'role_change'
                              WHEN rt.retired_at < ${msSql('$3')} THEN 'reuse'
                         END,
              'retired', rt.retired_at IS NOT NULL,
              'touch_due', s.last_used_at <= ${msSql('$4')},
              'amr', s.amr, 'user_id', u.id, 'username', u.username, 'email', u.email,
              'is_anonymous', u.is_anonymous, 'role', r.name,
              'email_verified', u.email_verified_at IS NOT NULL,
              'granted_roles', ${grantedRolesSql('u.id')},
              'claims', ${claimsFunction === undefined ? 'NULL::jsonb' : claimsCallSql(claimsFunction, 'u.id')}
            ) AS token
       FROM refresh_tokens rt
       JOIN sessions s ON s.id = rt.session_id
       JOIN users u ON u.id = s.user_id
       JOIN roles r ON r.id = u.role_id
      WHERE rt.token_hash = $1`,
  );
}

/** How often a refresh without rotation records the session's last use (TOUCH). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * FIND_TOKEN's cut-offs at `nowMs`, in epoch milliseconds as the statement takes them. A retired token is reuse once now - retired_at > grace × 1000,
 * both instants in whole milliseconds (Dates, and timestamptz(3) columns): that is retired_at <
 * now - floor(grace × 1000), for any grace, even one whose milliseconds are not a whole number in
 * floating point (4007ms). A session is due a touch once now - last_used_at >= TOUCH_INTERVAL_MS.
 */
export function tokenCutoffs(nowMs: number, reuseGraceSeconds: number): { reuseBeforeMs: number; touchByMs: number } {
  return {
    reuseBeforeMs: nowMs - Math.floor(reuseGraceSeconds * 1000),
    touchByMs: nowMs - TOUCH_INTERVAL_MS,
  };
}

export const FIND_TOKEN = findTokenStatement();

// Retire the presented token and issue its successor atomically: of two concurrent refreshes
// with one token, exactly one gets a row inserted. The successor's hash is the primary key, and a
// token has exactly one possible successor (Sessions.successorOf), so a parent never has two.
const ROTATE = statement<[tokenHash: string, now: Date, nextHash: string, expiresAt: Date]>(
  'sessions.rotate',
  `WITH retired AS (
     UPDATE refresh_tokens SET retired_at = $2 WHERE token_hash = $1 AND retired_at IS NULL RETURNING session_id
   ), touched AS (
     UPDATE sessions SET last_used_at = $2 WHERE id IN (SELECT session_id FROM retired)
   )
   INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
   SELECT $3, session_id, $2, $4 FROM retired`,
);

// Without rotation a refresh writes nothing; the session's last use is then recorded at most once a
// minute, so the hottest path gains one cheap UPDATE a minute per session, not one per request.
const TOUCH = statement<[sessionId: string, now: Date]>(
  'sessions.touch',
  `UPDATE sessions SET last_used_at = $2 WHERE id = $1`,
);

/** What a new session's statement answers: what the first access token needs. */
interface StartRow {
  email_verified: boolean;
  granted_roles: string[];
  claims: unknown;
}

/**
 * A session, its first refresh token, the user's last login and (given a key) a forgotten
 * rate-limit counter, in one statement — one round trip per sign-in, and atomic: a claims
 * function that fails leaves no session. The user's row is the anchor: no user, no row written.
 * `updated_at` is set as Prisma's @updatedAt would.
 */
function startStatement(claimsFunction?: string) {
  return statement<
    [userId: number, now: Date, sessionId: string, roleId: number, amr: string[], userAgent: string | null, tokenHash: string, expiresAt: Date, forgetKey: string | null],
    StartRow
  >(
    claimsFunction === undefined ? 'sessions.start' : `sessions.start:${claimsFunction}`,
    `WITH forgotten AS (${forgetCounterSql('$9::varchar')}),
     signed_in AS (
       UPDATE users SET last_login_at = $2, updated_at = $2 WHERE id = $1 RETURNING id, email_verified_at
     ), started AS (
       INSERT INTO sessions (id, user_id, role_id, created_at, last_used_at, amr, user_agent)
       SELECT $3::uuid, id, $4, $2, $2, $5::text[], $6 FROM signed_in RETURNING id
     ), first_token AS (
       INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) SELECT $7, id, $2, $8 FROM started
     )
     SELECT u.email_verified_at IS NOT NULL AS email_verified,
            ${grantedRolesSql('u.id')} AS granted_roles,
            ${claimsFunction === undefined ? 'NULL::jsonb' : claimsCallSql(claimsFunction, 'u.id')} AS claims
       FROM signed_in u`,
  );
}

/** A new session, with what its first access token needs. */
export interface StartedSession {
  sessionId: string;
  refreshToken: string;
  grants: UserGrants;
  emailVerified: boolean;
}

/** The longest User-Agent kept (the column's width). */
const MAX_USER_AGENT = 512;

/** A session as its user sees it in user_sessions. */
export interface SessionView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
}

export interface SessionsDependencies {
  db: Database;
  clock: Clock;
  options: SessionOptions;
  /** Derives a token's successor; from AUTH_SECRET, used for nothing else. */
  successorKey: Buffer;
  /** Granted roles and custom claims, which the refresh lookup selects. */
  grants: TokenGrants;
}

export class Sessions {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly options: SessionOptions;
  private readonly successorKey: Buffer;
  private readonly grants: TokenGrants;
  private readonly findToken: Statement<FindTokenParams, FindTokenResult>;
  private readonly startStatement: ReturnType<typeof startStatement>;

  constructor({ db, clock, options, successorKey, grants }: SessionsDependencies) {
    this.successorKey = successorKey;
    this.grants = grants;
    this.findToken = findTokenStatement(grants.claimsFunction);
    this.startStatement = startStatement(grants.claimsFunction);
    this.db = db;
    this.clock = clock;
    this.options = options;
  }

  /**
   * Starts a session for a user who just proved who they are with the factors `amr` (kept with the
   * session, so refreshed access tokens say the same); records the login time; answers what the
   * first access token needs of the user's database state (granted roles, custom claims, whether
   * the address is verified). `forget`: a counter to delete in the same statement (a right
   * password's failures).
   */
  async start(
    userId: number,
    roleId: number,
    amr: readonly string[] = ['pwd'],
    userAgent?: string,
    forget?: LimitCounter,
  ): Promise<StartedSession> {
    const now = this.clock.now();
    const sessionId = randomUUID();
    const { token, hash } = newRefreshToken();
    const agent = userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null;
    let row: StartRow | undefined;
    try {
      [row] = await this.startStatement.rows(this.db.pool, userId, now, sessionId, roleId, [...amr], agent, hash, this.expiry(now), forget?.key ?? null);
    } catch (error) {
      // One statement: when the claims function fails, no session is left behind.
      throw this.grants.lookupFailure(error);
    }
    if (!row) throw new Error(`no user ${userId} to start a session for`);
    let grants: UserGrants;
    try {
      grants = this.grants.format(row.granted_roles, row.claims);
    } catch (error) {
      // The function answered what no token may carry; the statement has already committed the
      // session, so it goes again (its refresh token with it, ON DELETE CASCADE): a rare
      // misconfiguration pays a second round trip so that every sign-in pays only one.
      await this.db.prisma.session.deleteMany({ where: { id: sessionId } });
      throw error;
    }
    return { sessionId, refreshToken: token, grants, emailVerified: row.email_verified };
  }

  /**
   * Exchanges a refresh token for the identity to put in a new access token. Refuses (and ends the
   * session) when the token expired, the user is inactive or the user's role changed; with
   * rotation, retires the token and returns its successor.
   */
  async refresh(refreshToken: string): Promise<RefreshResult> {
    const now = this.clock.now();
    const hash = hashRefreshToken(refreshToken);
    const row = await this.lookup(hash, now);
    if (!row || row.refusal === 'ended') throw new UnauthenticatedError('The refresh token is invalid or has expired.');
    if (row.refusal) {
      await this.end(row.session_id, row.refusal);
      throw new UnauthenticatedError('The refresh token is invalid or has expired.');
    }

    const grants = this.grants.format(row.granted_roles, row.claims);
    const subject: TokenSubject = {
      userId: row.user_id,
      username: row.username,
      email: row.email,
      role: row.role,
      sessionId: row.session_id,
      amr: row.amr ?? ['pwd'],
      anonymous: row.is_anonymous,
      grantedRoles: grants.roles,
      claims: grants.claims,
      emailVerified: row.email_verified,
    };
    if (!this.options.rotation && !row.retired) {
      if (row.touch_due) await TOUCH.run(this.db.pool, row.session_id, now);
      return { subject, refreshToken: undefined };
    }

    const next = this.successorOf(refreshToken);
    if (!row.retired) {
      const rotated = await ROTATE.run(this.db.pool, hash, now, next.hash, this.expiry(now));
      if (rotated === 1) return { subject, refreshToken: next.token };
      // A concurrent refresh with the same token retired it a moment ago: inside the grace window.
    }
    // Inside the grace window a retired token gets its successor again — the same one, so a client
    // racing with itself (two tabs, a retry) keeps its session and a replay forks nothing. Once
    // the successor has been used, the parent coming back means two parties hold the family:
    // reuse, and the session ends.
    const successor = await this.db.prisma.refreshToken.findFirst({
      where: { tokenHash: next.hash, sessionId: row.session_id },
      select: { retiredAt: true },
    });
    if (!successor || successor.retiredAt) {
      await this.end(row.session_id, 'reuse');
      throw new UnauthenticatedError('The refresh token is invalid or has expired.');
    }
    return { subject, refreshToken: next.token };
  }

  private lookup(hash: string, now: Date): Promise<TokenRow | undefined> {
    const nowMs = now.getTime();
    const { reuseBeforeMs, touchByMs } = tokenCutoffs(nowMs, this.options.reuseGrace);
    // One promise on the hottest path, not an async wrapper around another.
    return this.findToken.rows(this.db.pool, hash, nowMs, reuseBeforeMs, touchByMs).then(
      ([found]) => found?.token,
      (error: unknown) => {
        throw this.grants.lookupFailure(error);
      },
    );
  }


  /** The one successor a refresh token can have: an HMAC of it, shaped like a fresh token. */
  private successorOf(token: string): { token: string; hash: string } {
    const successor = createHmac('sha256', this.successorKey).update(token).digest('base64url');
    return { token: successor, hash: hashRefreshToken(successor) };
  }

  /** Ends the session a refresh token belongs to. Unknown tokens end nothing and are not an error. */
  async logout(refreshToken: string): Promise<void> {
    await this.db.prisma.session.updateMany({
      where: { refreshTokens: { some: { tokenHash: hashRefreshToken(refreshToken) } }, revokedAt: null },
      data: { revokedAt: this.clock.now(), revokedReason: 'logout' },
    });
  }

  async end(sessionId: string, reason: SessionEndReason, db: Db = this.db.prisma): Promise<void> {
    await db.session.updateMany({
      where: { id: sessionId, revokedAt: null },
      data: { revokedAt: this.clock.now(), revokedReason: reason },
    });
  }

  /** Ends every live session of a user, except `keep` (the caller's own, on a password change). */
  async endAll(userId: number, reason: SessionEndReason, keep?: string, db: Db = this.db.prisma): Promise<number> {
    const { count } = await db.session.updateMany({
      where: { userId, revokedAt: null, ...(keep === undefined ? {} : { id: { not: keep } }) },
      data: { revokedAt: this.clock.now(), revokedReason: reason },
    });
    return count;
  }

  async isLive(sessionId: string, userId: number, db: Db = this.db.prisma): Promise<boolean> {
    // A signed token from another issuer sharing the key could carry any `sid`; PostgreSQL would
    // refuse a non-UUID with an error instead of "no such session".
    if (!SESSION_ID.test(sessionId)) return false;
    return (await db.session.count({ where: { id: sessionId, userId, revokedAt: null } })) === 1;
  }

  /** The user's live sessions (not ended, holding an unexpired token), most recently used first. */
  async list(userId: number): Promise<SessionView[]> {
    return this.db.prisma.session.findMany({
      // An expired session is ended only when its token comes back; until then it is not live either.
      where: { userId, revokedAt: null, refreshTokens: { some: { retiredAt: null, expiresAt: { gt: this.clock.now() } } } },
      orderBy: [{ lastUsedAt: 'desc' }, { createdAt: 'desc' }],
      select: { id: true, createdAt: true, lastUsedAt: true, userAgent: true },
    });
  }

  /** Ends one live session of the user; false when the user has no such live session. */
  async revoke(userId: number, sessionId: string): Promise<boolean> {
    if (!SESSION_ID.test(sessionId)) return false;
    const { count } = await this.db.prisma.session.updateMany({
      where: { id: sessionId, userId, revokedAt: null },
      data: { revokedAt: this.clock.now(), revokedReason: 'revoked' },
    });
    return count === 1;
  }

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.options.refreshTokenTtl * 1000);
  }
}
