// Change of email. The request (with the password again) records a row of email_change_requests;
// two event triggers send its two emails: the link to the new address, a notice to the old one.
// Nothing about the user changes until the new address confirms with the link; then the address
// is replaced and verified, and every other session of the user ends. A taken address is answered
// like a free one and records nothing, so the answer reveals no account.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../auth/access-tokens';
import { email as emailSchema, validateField } from '../auth/accounts';
import { InvalidInputError, InvalidLinkTokenError, type FieldErrors } from '../auth/errors';
import type { RateLimits, RequestOrigin } from '../auth/rate-limits';
import type { RowTokens } from '../auth/row-tokens';
import type { Sessions } from '../auth/sessions';
import { lockActiveUser } from '../auth/users';
import type { Clock } from '../clock';
import { TRANSACTION_OPTIONS, uniqueViolation, type Database } from '../db/database';
import { checkBlank, type LinkInput } from './email-verifications';
import type { Reauthentication } from './reauthentication';

export interface EmailChangesDependencies {
  db: Database;
  tokens: RowTokens;
  clock: Clock;
  limits: RateLimits;
  sessions: Sessions;
  reauthentication: Reauthentication;
  /** Seconds a link works (EMAIL_VERIFY_TTL). */
  ttlSeconds: number;
}

const SAME_ADDRESS = 'This is already the address of the account.';

export class EmailChanges {
  constructor(private readonly deps: EmailChangesDependencies) {}

  async request(caller: Caller, input: { newEmail: string; password: string }, origin: RequestOrigin = {}): Promise<void> {
    const fields: FieldErrors = {};
    const address = validateField(fields, 'new_email', emailSchema, input.newEmail);
    if (!input.password) fields.password = ['This field may not be blank.'];
    if (!address || Object.keys(fields).length) throw new InvalidInputError(fields);
    const user = await this.deps.reauthentication.liveUser(caller);
    await this.deps.reauthentication.checkPassword(user, input.password, origin);
    if (address.toLowerCase() === user.email.toLowerCase()) throw new InvalidInputError({ new_email: [SAME_ADDRESS] });

    const now = this.deps.clock.now();
    const expires = new Date(now.getTime() + this.deps.ttlSeconds * 1000);
    // One statement: only when no account has the address (else nothing, and no email), and the
    // user's earlier requests die (only the latest link works).
    await this.deps.db.prisma.$executeRaw`
      WITH free AS (
        SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = ${address}::citext)
      ), retired AS (
        UPDATE email_change_requests SET used_at = ${now} WHERE user_id = ${user.id} AND used_at IS NULL
      )
      INSERT INTO email_change_requests (id, user_id, new_email, old_email, session_id, created_at, expires_at)
      SELECT ${randomUUID()}::uuid, ${user.id}, ${address}::citext, ${user.email}::citext, ${caller.sessionId}::uuid, ${now}, ${expires} FROM free`;
  }

  /** Replaces the address with the confirmed one (once); INVALID_TOKEN for any link that does not work. */
  async confirm(input: LinkInput): Promise<void> {
    checkBlank(input);
    await this.deps.limits.resetAttempt(input.email);
    const address = emailSchema.safeParse(input.email);
    if (!address.success || !this.deps.tokens.wellFormed(input.token)) throw new InvalidLinkTokenError();
    const now = this.deps.clock.now();
    const rows = await this.deps.db.prisma.emailChangeRequest.findMany({
      where: { newEmail: address.data, usedAt: null, expiresAt: { gt: now } },
      orderBy: { createdAt: 'desc' },
      take: 100,
      select: { id: true, userId: true, oldEmail: true, newEmail: true, sessionId: true },
    });
    let found: (typeof rows)[number] | undefined;
    for (const row of rows) {
      if (this.deps.tokens.matches(input.token, { id: row.id, userId: row.userId }) && !found) found = row;
    }
    if (!found) throw new InvalidLinkTokenError();
    const request = found;
    try {
      await this.deps.db.prisma.$transaction(async (tx) => {
        // The user row first, like every password change, so the two serialise.
        if (!(await lockActiveUser(tx, request.userId))) throw new InvalidLinkTokenError();
        const used = await tx.emailChangeRequest.updateMany({
          where: { id: request.id, usedAt: null, expiresAt: { gt: now } },
          data: { usedAt: now },
        });
        // The address must still be the one the request was made from.
        const changed = await tx.user.updateMany({
          where: { id: request.userId, email: request.oldEmail },
          data: { email: request.newEmail, emailVerifiedAt: now, updatedAt: now },
        });
        if (used.count !== 1 || changed.count !== 1) throw new InvalidLinkTokenError();
        await tx.emailChangeRequest.updateMany({ where: { userId: request.userId, usedAt: null }, data: { usedAt: now } });
        // Links to the old address (verification, reset) must not work for the new one.
        await tx.emailVerificationRequest.updateMany({ where: { userId: request.userId, usedAt: null }, data: { usedAt: now } });
        await tx.passwordResetRequest.updateMany({ where: { userId: request.userId, usedAt: null }, data: { usedAt: now } });
        await this.deps.sessions.endAll(request.userId, 'email_change', request.sessionId ?? undefined, tx);
      }, TRANSACTION_OPTIONS);
    } catch (error) {
      // Someone registered the address after the request was made: the link cannot work any more.
      if (uniqueViolation(error)) throw new InvalidLinkTokenError();
      throw error;
    }
  }
}
