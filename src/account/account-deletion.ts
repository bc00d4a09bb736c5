// Deleting one's own account. Everything the service holds of the user goes in one transaction:
// the users row and, by the foreign keys' ON DELETE CASCADE, sessions and refresh tokens, reset,
// verification and email-change requests, factors, passkeys and identities; the email claims
// named after the user's rows go with them. Hasura's delete event on users lets apps react.
import type { Caller } from '../auth/access-tokens';
import { InvalidInputError, UnauthenticatedError } from '../auth/errors';
import type { RequestOrigin } from '../auth/rate-limits';
import { lockActiveUser } from '../auth/users';
import type { Clock } from '../clock';
import { TRANSACTION_OPTIONS, type Database } from '../db/database';
import { ACCOUNT_MESSAGES, type Reauthentication } from './reauthentication';

export interface AccountDeletionDependencies {
  db: Database;
  clock: Clock;
  reauthentication: Reauthentication;
}

/**
 * An account without a password (made by a provider sign-in) proves itself by a fresh sign-in
 * instead: the caller's session must have started this recently (seconds).
 */
export const RECENT_SIGN_IN_SECONDS = 10 * 60;

const SIGN_IN_AGAIN = 'This account has no password: sign in again, then delete the account within 10 minutes.';

export class AccountDeletion {
  constructor(private readonly deps: AccountDeletionDependencies) {}

  async delete(caller: Caller, input: { password: string }, origin: RequestOrigin = {}): Promise<void> {
    const user = await this.deps.reauthentication.liveUser(caller);
    if (user.passwordHash === null) {
      const session = await this.deps.db.prisma.session.findUnique({ where: { id: caller.sessionId }, select: { createdAt: true } });
      const age = session ? (this.deps.clock.now().getTime() - session.createdAt.getTime()) / 1000 : Infinity;
      if (age > RECENT_SIGN_IN_SECONDS) throw new InvalidInputError({ password: [SIGN_IN_AGAIN] });
    } else {
      await this.deps.reauthentication.checkPassword(user, input.password, origin);
    }
    await this.deps.db.prisma.$transaction(async (tx) => {
      // Deactivated (or deleted) since the checks above: the caller's session no longer counts.
      if (!(await lockActiveUser(tx, user.id))) throw new UnauthenticatedError(ACCOUNT_MESSAGES.sessionEnded);
      const [resets, verifications, changes] = await Promise.all([
        tx.passwordResetRequest.findMany({ where: { userId: user.id }, select: { id: true } }),
        tx.emailVerificationRequest.findMany({ where: { userId: user.id }, select: { id: true } }),
        tx.emailChangeRequest.findMany({ where: { userId: user.id }, select: { id: true } }),
      ]);
      // The keys deliveries claim emails under (src/events/deliveries.ts): they name the user's rows.
      const keys = [
        `welcome:${user.id}`,
        ...resets.map((r) => `password-reset:${r.id}`),
        ...verifications.map((r) => `verify-email:${r.id}`),
        ...changes.flatMap((r) => [`email-change:${r.id}`, `email-change-notice:${r.id}`]),
      ];
      await tx.emailClaim.deleteMany({ where: { key: { in: keys } } });
      await tx.user.delete({ where: { id: user.id } });
    }, TRANSACTION_OPTIONS);
  }
}
