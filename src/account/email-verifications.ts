// Email verification by emailed link. A link is a row of email_verification_requests (made with the
// user at sign-up, travelling in the welcome email; or by a resend) and a token derived from it
// (RowTokens): nothing usable is stored. A token works once, before its row expires, only while
// the account's address is still the one the row was made for.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { email as emailSchema, validateField } from '../auth/accounts';
import { InvalidInputError, InvalidLinkTokenError, type FieldErrors } from '../auth/errors';
import type { RateLimits, RequestOrigin } from '../auth/rate-limits';
import type { RowTokens } from '../auth/row-tokens';
import type { Clock } from '../clock';
import type { Database } from '../db/database';

export interface EmailVerificationsDependencies {
  db: Database;
  tokens: RowTokens;
  clock: Clock;
  limits: RateLimits;
  /** Seconds a link works (EMAIL_VERIFY_TTL). */
  ttlSeconds: number;
  /** Milliseconds a resend takes at least, whatever the address: tests shorten it. */
  minRequestMillis?: number;
  /** EMAIL_VERIFICATION: with `off` no link is ever sent. */
  mode?: 'off' | 'optional' | 'required';
}

/** Another resend for the same user within this many seconds records nothing (and sends nothing). */
const RESEND_INTERVAL = 60;
const DEFAULT_MIN_REQUEST_MILLIS = 200;
/** Live links looked at per check: more than the resend interval lets one user make in one TTL. */
const MAX_LIVE_LINKS = 100;
const BLANK = 'This field may not be blank.';

export interface LinkInput {
  email: string;
  token: string;
}

export class EmailVerifications {
  constructor(private readonly deps: EmailVerificationsDependencies) {}

  /**
   * Records a new link for an active account with this unverified address. The same answer, in
   * about the same time, for every well-formed address; only a malformed one is BAD_USER_INPUT.
   */
  async resend(email: string, origin: RequestOrigin = {}): Promise<void> {
    const started = performance.now();
    const fields: FieldErrors = {};
    const address = validateField(fields, 'email', emailSchema, email);
    if (!address) throw new InvalidInputError(fields);
    // The reset request's limits guard this mailbox too: over them, silently nothing.
    if (this.deps.mode !== 'off' && (await this.deps.limits.resetRequest(address, origin))) {
      const now = this.deps.clock.now();
      const expires = new Date(now.getTime() + this.deps.ttlSeconds * 1000);
      const recentSince = new Date(now.getTime() - RESEND_INTERVAL * 1000);
      // One statement, as for reset requests: "insert unless one was made recently" is race-free
      // only so, and older links die (only the latest works).
      await this.deps.db.prisma.$executeRaw`
        WITH u AS (
          SELECT u.id, u.email FROM users u
           WHERE u.email = ${address}::citext AND u.is_active AND u.email_verified_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM email_verification_requests r
                              WHERE r.user_id = u.id AND r.used_at IS NULL AND r.created_at > ${recentSince})
        ), retired AS (
          UPDATE email_verification_requests r SET used_at = ${now} FROM u WHERE r.user_id = u.id AND r.used_at IS NULL
        )
        INSERT INTO email_verification_requests (id, user_id, email, created_at, expires_at)
        SELECT ${randomUUID()}::uuid, u.id, u.email, ${now}, ${expires} FROM u`;
    }
    const remaining = (this.deps.minRequestMillis ?? DEFAULT_MIN_REQUEST_MILLIS) - (performance.now() - started);
    if (remaining > 0) await sleep(remaining);
  }

  /** Marks the address verified with a live link (once); INVALID_TOKEN otherwise. */
  async verify(input: LinkInput): Promise<void> {
    checkBlank(input);
    await this.deps.limits.resetAttempt(input.email);
    const link = await this.find(input);
    const now = this.deps.clock.now();
    await this.deps.db.prisma.$transaction(async (tx) => {
      // Single use, race-safe: the WHERE re-checks everything, so of two uses exactly one counts.
      const used = await tx.emailVerificationRequest.updateMany({
        where: { id: link.id, usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      // Only while the address is still the one the link was sent to.
      const user = await tx.user.updateMany({
        where: { id: link.userId, email: link.email, isActive: true },
        data: { emailVerifiedAt: now, updatedAt: now },
      });
      if (used.count !== 1 || user.count !== 1) throw new InvalidLinkTokenError();
      await tx.emailVerificationRequest.updateMany({ where: { userId: link.userId, usedAt: null }, data: { usedAt: now } });
    });
  }

  /** The live link the token was derived from, compared in constant time; else INVALID_TOKEN. */
  private async find(input: LinkInput): Promise<{ id: string; userId: number; email: string }> {
    const address = emailSchema.safeParse(input.email);
    if (!address.success || !this.deps.tokens.wellFormed(input.token)) throw new InvalidLinkTokenError();
    const user = await this.deps.db.prisma.user.findUnique({
      where: { email: address.data },
      select: {
        id: true,
        email: true,
        isActive: true,
        emailVerifications: {
          where: { usedAt: null, expiresAt: { gt: this.deps.clock.now() } },
          orderBy: { createdAt: 'desc' },
          take: MAX_LIVE_LINKS,
          select: { id: true, email: true },
        },
      },
    });
    let found: { id: string; userId: number; email: string } | undefined;
    for (const row of user?.isActive ? user.emailVerifications : []) {
      // No early exit: how long the loop runs says nothing about which row matched.
      const matches = this.deps.tokens.matches(input.token, { id: row.id, userId: user!.id }) && row.email.toLowerCase() === user!.email.toLowerCase();
      if (matches && !found) found = { id: row.id, userId: user!.id, email: row.email };
    }
    if (!found) throw new InvalidLinkTokenError();
    return found;
  }
}

export function checkBlank(input: LinkInput): void {
  const fields: FieldErrors = {};
  if (!input.email.trim()) fields.email = [BLANK];
  if (!input.token) fields.token = [BLANK];
  if (Object.keys(fields).length) throw new InvalidInputError(fields);
}
