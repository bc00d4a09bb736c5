// Sign-in by email: a link or a 6-digit code, emailed, that signs the address's owner in.
//
// A request records a row in signin_email_requests; Hasura's event trigger hands the row to the
// email webhook, which derives the link token and the code from the row (SignInEmailSecrets) — no
// usable token or code is stored anywhere, not even hashed: both are HMACs of the row id under
// their own keys derived from AUTH_SECRET, so the row and Hasura's event log hold nothing that
// signs anyone in. A request works once, for 10 minutes, and only while it is the address's latest:
// a new request marks older ones used (a link left in an old email dies when the owner asks
// again). The code allows 5 attempts: each one is counted in the row BEFORE the code is compared,
// in one statement that refuses the 6th, so parallel guesses cannot get more than 5.
//
// Success verifies the address (the owner just read its mail) and goes through the one sign-in
// gate with amr ["email"] for the link and the code alike: either proves possession of the mailbox,
// one factor. It is deliberately not "otp", which the gate counts as a second factor: a
// TOTP-enabled account still answers MFA_REQUIRED.
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { uniqueViolation } from '../db/database';
import { usernameBase } from '../providers/provider-accounts';
import { email as emailSchema, validateField } from './accounts';
import { AuthError, InvalidInputError, UnauthenticatedError, type FieldErrors } from './errors';
import type { RateLimits, RequestOrigin } from './rate-limits';
import type { SignIns, SignInUser, TokenPair } from './sign-in';
import { sameSecret } from './constant-time';

/** Seconds a link and its code work. */
export const SIGNIN_EMAIL_TTL = 10 * 60;
/** Codes tried per request; the request is locked once they are spent. */
export const SIGNIN_CODE_ATTEMPTS = 5;
/** Milliseconds a request takes at least, whatever the address: hides whether a row was written. */
export const DEFAULT_MIN_REQUEST_MILLIS = 200;
/** Seconds during which another request for the same address records nothing (and sends nothing). */
export const DEFAULT_REQUEST_INTERVAL = 60;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CODE = /^\d{6}$/;
const BLANK = 'This field may not be blank.';
const USERNAME_ATTEMPTS = 8;

/** A sign-in link or code that is wrong, used, superseded, locked or expired. */
export class InvalidSignInTokenError extends AuthError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('The sign-in link or code is invalid, used or expired: ask for a new one.');
  }
}

/** The link token and the code of one request row, derived, never stored. */
export class SignInEmailSecrets {
  /** Both keys from DerivedKeys, for this use only. */
  constructor(
    private readonly tokenKey: Buffer,
    private readonly codeKey: Buffer,
  ) {}

  /** 256 bits, base64url (43 characters). */
  tokenFor(requestId: string): string {
    return createHmac('sha256', this.tokenKey).update(requestId).digest('base64url');
  }

  /** Six digits; 48 bits of the HMAC reduced mod 10^6 (a bias below 10^-8). */
  codeFor(requestId: string): string {
    const mac = createHmac('sha256', this.codeKey).update(requestId).digest();
    return String(mac.readUIntBE(0, 6) % 1_000_000).padStart(6, '0');
  }
}

export interface EmailSignInOptions {
  /** PASSWORDLESS_SIGNUP: an unknown address gets an account on confirmation. */
  signup: boolean;
  defaultRole: string;
  minRequestMillis?: number;
  requestInterval?: number;
}

export interface EmailSignInsDependencies {
  db: Database;
  clock: Clock;
  limits: RateLimits;
  secrets: SignInEmailSecrets;
  signIns: SignIns;
  options: EmailSignInOptions;
}

interface LiveRequest {
  id: string;
  userId: number | null;
  email: string;
}

export class EmailSignIns {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly limits: RateLimits;
  private readonly secrets: SignInEmailSecrets;
  private readonly signIns: SignIns;
  private readonly options: EmailSignInOptions;

  constructor({ db, clock, limits, secrets, signIns, options }: EmailSignInsDependencies) {
    this.db = db;
    this.clock = clock;
    this.limits = limits;
    this.secrets = secrets;
    this.signIns = signIns;
    this.options = options;
  }

  /**
   * Records a request when the address belongs to an active (non-anonymous) account, or, with
   * signup on, to no account at all. Answers the same, in about the same time, for every
   * well-formed address; only a malformed one is an error (BAD_USER_INPUT).
   */
  async request(email: string, origin: RequestOrigin = {}): Promise<void> {
    const started = performance.now();
    const fields: FieldErrors = {};
    const address = validateField(fields, 'email', emailSchema, email);
    if (!address) throw new InvalidInputError(fields);

    if (await this.limits.signinEmailRequest(address, origin)) {
      const now = this.clock.now();
      const expires = new Date(now.getTime() + SIGNIN_EMAIL_TTL * 1000);
      const recentSince = new Date(now.getTime() - (this.options.requestInterval ?? DEFAULT_REQUEST_INTERVAL) * 1000);
      // One statement for every address, known or not: the same work and round trip whatever the
      // answer (the floor hides the rest). SQL because "insert only if none recent, retiring the
      // older ones" is race-free only as one statement. The target is the active account with the
      // address or, with signup on, no account (user_id NULL); an inactive or anonymous account
      // gets nothing, and never a second account.
      await this.db.prisma.$executeRaw`
        WITH target AS (
          SELECT u.id AS user_id FROM users u
           WHERE u.email = ${address}::citext AND u.is_active AND NOT u.is_anonymous
          UNION ALL
          SELECT NULL::int WHERE ${this.options.signup} AND NOT EXISTS (SELECT 1 FROM users WHERE email = ${address}::citext)
        ), fresh AS (
          SELECT t.user_id FROM target t
           WHERE NOT EXISTS (SELECT 1 FROM signin_email_requests r
                              WHERE r.email = ${address}::citext AND r.used_at IS NULL AND r.created_at > ${recentSince})
        ), retired AS (
          UPDATE signin_email_requests r SET used_at = ${now}
           WHERE r.email = ${address}::citext AND r.used_at IS NULL AND EXISTS (SELECT 1 FROM fresh)
        )
        INSERT INTO signin_email_requests (id, user_id, email, created_at, expires_at)
        SELECT ${randomUUID()}::uuid, f.user_id, ${address}, ${now}, ${expires} FROM fresh f`;
    }

    const remaining = (this.options.minRequestMillis ?? DEFAULT_MIN_REQUEST_MILLIS) - (performance.now() - started);
    if (remaining > 0) await sleep(remaining);
  }

  /**
   * Signs in with the link token or the code of the address's live request: tokens, or
   * MFA_REQUIRED for an account with a second factor. INVALID_TOKEN for anything else.
   */
  async confirm(input: { email: string; token: string }): Promise<TokenPair> {
    const fields: FieldErrors = {};
    if (!input.email.trim()) fields.email = [BLANK];
    if (!input.token.trim()) fields.token = [BLANK];
    if (Object.keys(fields).length) throw new InvalidInputError(fields);

    const address = emailSchema.safeParse(input.email);
    const token = input.token.trim();
    const isCode = CODE.test(token);
    // Anything that is neither a token nor a code is as wrong as a wrong one, without a query.
    if (!address.success || (!isCode && !TOKEN.test(token))) throw new InvalidSignInTokenError();
    const request = isCode ? await this.byCode(address.data, token) : await this.byLink(address.data, token);

    const user = await this.accountFor(request);
    return this.signIns.complete(user, ['email']);
  }

  /** The live request whose link this is, consumed; single use even when raced. */
  private async byLink(address: string, token: string): Promise<LiveRequest> {
    let found: LiveRequest | undefined;
    for (const row of await this.liveRequests(address)) {
      // No early exit: how long the loop runs says nothing about which row matched.
      if (sameSecret(token, this.secrets.tokenFor(row.id)) && !found) found = row;
    }
    if (!found || !(await this.consume(found.id))) throw new InvalidSignInTokenError();
    return found;
  }

  /**
   * The code of the address's newest live request. The attempt is counted first, in one UPDATE that
   * refuses once SIGNIN_CODE_ATTEMPTS are spent; only a counted attempt is compared.
   */
  private async byCode(address: string, code: string): Promise<LiveRequest> {
    const [newest] = await this.liveRequests(address);
    if (!newest) throw new InvalidSignInTokenError();
    const counted = await this.db.prisma.signInEmailRequest.updateMany({
      where: { id: newest.id, usedAt: null, expiresAt: { gt: this.clock.now() }, attempts: { lt: SIGNIN_CODE_ATTEMPTS } },
      data: { attempts: { increment: 1 } },
    });
    if (counted.count !== 1) throw new InvalidSignInTokenError();
    if (!sameSecret(code, this.secrets.codeFor(newest.id)) || !(await this.consume(newest.id))) throw new InvalidSignInTokenError();
    return newest;
  }

  /** Marks the request used if it still is live: of two concurrent confirmations one wins. */
  private async consume(id: string): Promise<boolean> {
    const consumed = await this.db.prisma.signInEmailRequest.updateMany({
      where: { id, usedAt: null, expiresAt: { gt: this.clock.now() }, attempts: { lte: SIGNIN_CODE_ATTEMPTS } },
      data: { usedAt: this.clock.now() },
    });
    return consumed.count === 1;
  }

  /** Unused, unexpired, unlocked requests for the address, newest first (one, unless raced). */
  private liveRequests(address: string): Promise<LiveRequest[]> {
    return this.db.prisma.signInEmailRequest.findMany({
      where: { email: address, usedAt: null, expiresAt: { gt: this.clock.now() }, attempts: { lt: SIGNIN_CODE_ATTEMPTS } },
      orderBy: { createdAt: 'desc' },
      take: 10,
      select: { id: true, userId: true, email: true },
    });
  }

  /**
   * The account the confirmed request signs in to, its address now verified: the request's user,
   * or for a signup request a new account (or the one registered with the address meanwhile).
   */
  private async accountFor(request: LiveRequest): Promise<SignInUser> {
    const now = this.clock.now();
    if (request.userId === null) {
      const created = await this.signUp(request.email, now);
      if (created) return created;
    } else {
      await this.db.prisma.user.updateMany({ where: { id: request.userId, emailVerifiedAt: null }, data: { emailVerifiedAt: now } });
    }
    const user = request.userId === null ? await this.byEmail(request.email, now) : await this.signIns.activeUser(request.userId);
    if (!user) throw new UnauthenticatedError('This account is disabled.');
    return user;
  }

  /**
   * A new account for a confirmed address: no password (it signs in by email, or sets one with a
   * password reset), the address verified, a username made from the address's local part (with a
   * number when taken). `undefined` when the address got an account since the request.
   */
  private async signUp(email: string, now: Date): Promise<SignInUser | undefined> {
    const base = usernameBase([email.slice(0, email.lastIndexOf('@'))]);
    for (let attempt = 0; attempt < USERNAME_ATTEMPTS; attempt++) {
      const username = attempt === 0 ? base : `${base.slice(0, 25)}-${randomInt(1000, 10000)}`;
      try {
        const user = await this.db.prisma.user.create({
          data: {
            username,
            email,
            passwordHash: null,
            emailVerifiedAt: now,
            passwordChangedAt: now,
            role: { connect: { name: this.options.defaultRole } },
          },
          select: { id: true, username: true, email: true, roleId: true },
        });
        return { ...user, role: this.options.defaultRole };
      } catch (error) {
        const violation = uniqueViolation(error);
        if (!violation) throw error;
        if (!violation.fields.some((field) => field.includes('username'))) return undefined;
      }
    }
    throw new Error(`no free username found for "${base}" after ${USERNAME_ATTEMPTS} attempts`);
  }

  /** The active account registered with the address since a signup request was made; verified now. */
  private async byEmail(email: string, now: Date): Promise<SignInUser | undefined> {
    const user = await this.db.prisma.user.findUnique({ where: { email }, select: { id: true, isAnonymous: true } });
    if (!user || user.isAnonymous) return undefined;
    await this.db.prisma.user.updateMany({ where: { id: user.id, emailVerifiedAt: null }, data: { emailVerifiedAt: now } });
    return this.signIns.activeUser(user.id);
  }
}
