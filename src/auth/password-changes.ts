// Changing a password while signed in (user_change_password). The caller proves the old
// password again, because an access token alone (a borrowed laptop, a leaked token) must not be
// enough to lock the owner out. On success every other session ends, outstanding reset links die,
// and the caller's own session carries on.
import type { Clock } from '../clock';
import { TRANSACTION_OPTIONS, type Database, type Db } from '../db/database';
import type { Caller } from './access-tokens';
import { InvalidInputError, UnauthenticatedError, type FieldErrors } from './errors';
import { MAX_PASSWORD_BYTES, type PasswordPolicy } from './password-policy';
import { expireResetRequests } from './password-resets';
import type { PasswordHasher } from './passwords';
import type { Sessions } from './sessions';
import { lockActiveUser, setPassword } from './users';

export const CHANGE_MESSAGES = {
  blank: 'This field may not be blank.',
  // Django's PasswordChangeForm wording.
  oldIncorrect: 'Your old password was entered incorrectly. Please enter it again.',
  sameAsOld: 'The new password must be different from the old password.',
  sessionEnded: 'This session has ended. Sign in again.',
  // An account made by a provider sign-in: there is no old password to prove.
  noPassword: 'This account has no password yet: set one through a password reset (user_password_reset).',
} as const;

export interface PasswordChangesDependencies {
  db: Database;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: Sessions;
  clock: Clock;
}

export class PasswordChanges {
  private readonly db: Database;
  private readonly hasher: PasswordHasher;
  private readonly policy: PasswordPolicy;
  private readonly sessions: Sessions;
  private readonly clock: Clock;

  constructor({ db, hasher, policy, sessions, clock }: PasswordChangesDependencies) {
    this.db = db;
    this.hasher = hasher;
    this.policy = policy;
    this.sessions = sessions;
    this.clock = clock;
  }

  /**
   * Checks the old password and the policy (every problem reported at once, under `old_password`
   * and `new_password`), then sets the new password and ends the user's other sessions.
   * A wrong old password is BAD_USER_INPUT, not UNAUTHENTICATED: the caller's token is fine, and
   * UNAUTHENTICATED would make clients drop a working session. Nothing changes when it fails.
   */
  async change(caller: Caller, input: { oldPassword: string; newPassword: string }): Promise<void> {
    const blank: FieldErrors = {};
    if (!input.oldPassword) blank.old_password = [CHANGE_MESSAGES.blank];
    if (!input.newPassword) blank.new_password = [CHANGE_MESSAGES.blank];
    if (Object.keys(blank).length) throw new InvalidInputError(blank);

    // A token outlives its session by up to its lifetime; a logged-out session changes nothing.
    if (!(await this.sessions.isLive(caller.sessionId, caller.userId))) {
      throw new UnauthenticatedError(CHANGE_MESSAGES.sessionEnded);
    }
    const user = await this.db.prisma.user.findFirst({
      where: { id: caller.userId, isActive: true },
      select: { username: true, email: true, passwordHash: true },
    });
    if (!user) throw new UnauthenticatedError(CHANGE_MESSAGES.sessionEnded);
    const currentHash = user.passwordHash;
    if (currentHash === null) throw new InvalidInputError({ old_password: [CHANGE_MESSAGES.noPassword] });

    const fields: FieldErrors = {};
    if (!(await this.oldPasswordMatches(input.oldPassword, currentHash))) {
      fields.old_password = [CHANGE_MESSAGES.oldIncorrect];
    }
    const reasons = await this.policy.check(input.newPassword, { username: user.username, email: user.email });
    if (input.newPassword === input.oldPassword) reasons.push(CHANGE_MESSAGES.sameAsOld);
    if (reasons.length) fields.new_password = reasons;
    if (Object.keys(fields).length) throw new InvalidInputError(fields);

    // Hashing takes a quarter of a second at cost 12: done before the transaction, not inside it.
    const newHash = await this.hasher.hash(input.newPassword);
    await this.db.prisma.$transaction((tx) => this.apply(tx, caller, currentHash, newHash), TRANSACTION_OPTIONS);
  }

  private async apply(tx: Db, caller: Caller, verifiedHash: string, newHash: string): Promise<void> {
    // The row lock first, then the session: a concurrent logout or reset is either seen or waits.
    const locked = await lockActiveUser(tx, caller.userId);
    if (!locked || !(await this.sessions.isLive(caller.sessionId, caller.userId, tx))) {
      throw new UnauthenticatedError(CHANGE_MESSAGES.sessionEnded);
    }
    // Changed by a concurrent request since we checked the old password: that check no longer holds.
    if (locked.passwordHash !== verifiedHash) {
      throw new InvalidInputError({ old_password: [CHANGE_MESSAGES.oldIncorrect] });
    }
    const now = this.clock.now();
    await setPassword(tx, caller.userId, newHash, now);
    await expireResetRequests(tx, caller.userId, now);
    await this.sessions.endAll(caller.userId, 'password_change', caller.sessionId, tx);
  }

  private async oldPasswordMatches(password: string, hash: string): Promise<boolean> {
    // bcrypt would ignore what follows a NUL or the 72nd byte, accepting a string that is not the
    // password; no stored password has either, so such input is simply wrong.
    if (password.includes('\u0000') || !password.isWellFormed() || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      return false;
    }
    return this.hasher.verify(password, hash);
  }
}
