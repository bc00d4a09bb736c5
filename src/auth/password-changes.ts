// Changing a password while signed in (user_change_password). The caller proves the old
// password again, because an access token alone (a borrowed laptop, a leaked token) must not be
// enough to lock the owner out. On success every other session ends, outstanding reset links die,
// and the caller's own session carries on.
import type { Clock } from '../clock';
import { TRANSACTION_OPTIONS, type Database, type Db } from '../db/database';
import type { Metrics } from '../metrics';
import type { Caller } from './access-tokens';
import { InvalidInputError, UnauthenticatedError, type FieldErrors } from './errors';
import { MAX_PASSWORD_BYTES, PASSWORD_MESSAGES, type PasswordPolicy } from './password-policy';
import { expireResetRequests } from './password-resets';
import type { PasswordHasher } from './passwords';
import type { RateLimits, RequestOrigin } from './rate-limits';
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
  /** The login limit: a wrong old password is a password guess like a failed login. */
  limits: RateLimits;
  metrics: Pick<Metrics, 'loginFailures'>;
}

export class PasswordChanges {
  private readonly db: Database;
  private readonly hasher: PasswordHasher;
  private readonly policy: PasswordPolicy;
  private readonly sessions: Sessions;
  private readonly clock: Clock;
  private readonly limits: RateLimits;
  private readonly metrics: Pick<Metrics, 'loginFailures'>;

  constructor({ db, hasher, policy, sessions, clock, limits, metrics }: PasswordChangesDependencies) {
    this.limits = limits;
    this.metrics = metrics;
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
  async change(caller: Caller, input: { oldPassword: string; newPassword: string }, origin: RequestOrigin = {}): Promise<void> {
    const blank: FieldErrors = {};
    if (!input.oldPassword) blank.old_password = [CHANGE_MESSAGES.blank];
    if (!input.newPassword) blank.new_password = [CHANGE_MESSAGES.blank];
    // bcrypt would ignore what follows the 72nd byte: refused as on login, registration and reset.
    if (Buffer.byteLength(input.oldPassword, 'utf8') > MAX_PASSWORD_BYTES) blank.old_password = [PASSWORD_MESSAGES.tooLong];
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

    // The old password is a password guess like a login: it counts against the account's login
    // limit (both its texts, username and email), so a stolen access token is no unlimited oracle.
    const logins = [user.username, user.email];
    await this.limits.loginAttempt(logins, origin);
    const fields: FieldErrors = {};
    if (await this.oldPasswordMatches(input.oldPassword, currentHash)) {
      await this.limits.loginSucceeded(logins, origin);
    } else {
      this.metrics.loginFailures.inc();
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
    // bcrypt would ignore what follows a NUL, accepting a string that is not the password; no
    // stored password has one, so such input is simply wrong.
    if (password.includes('\u0000') || !password.isWellFormed()) {
      return false;
    }
    return this.hasher.verify(password, hash);
  }
}
