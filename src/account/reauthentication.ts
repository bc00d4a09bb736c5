// What the account's own operations (change of email, deletion, sessions) share: the caller's
// session must still be live, and the dangerous ones ask for the password again.
import type { Caller } from '../auth/access-tokens';
import { InvalidInputError, UnauthenticatedError } from '../auth/errors';
import { MAX_PASSWORD_BYTES, PASSWORD_MESSAGES } from '../auth/password-policy';
import type { PasswordHasher } from '../auth/passwords';
import type { RateLimits, RequestOrigin } from '../auth/rate-limits';
import type { Sessions } from '../auth/sessions';
import type { Database } from '../db/database';
import type { Metrics } from '../metrics';

export const ACCOUNT_MESSAGES = {
  sessionEnded: 'This session has ended. Sign in again.',
  blank: 'This field may not be blank.',
  wrongPassword: 'The password is incorrect.',
  noPassword: 'This account has no password yet: set one through a password reset (user_password_reset).',
} as const;

export interface LiveUser {
  id: number;
  username: string;
  email: string;
  passwordHash: string | null;
  locale: string;
}

export interface ReauthenticationDependencies {
  db: Database;
  sessions: Sessions;
  hasher: PasswordHasher;
  limits: RateLimits;
  metrics: Pick<Metrics, 'loginFailures'>;
}

export class Reauthentication {
  constructor(private readonly deps: ReauthenticationDependencies) {}

  /**
   * The caller's active user, if the caller's session is still live: an access token outlives its
   * session by up to its lifetime, and a logged-out session must change nothing.
   */
  async liveUser(caller: Caller): Promise<LiveUser> {
    if (!(await this.deps.sessions.isLive(caller.sessionId, caller.userId))) throw new UnauthenticatedError(ACCOUNT_MESSAGES.sessionEnded);
    const user = await this.deps.db.prisma.user.findFirst({
      where: { id: caller.userId, isActive: true },
      select: { id: true, username: true, email: true, passwordHash: true, locale: true },
    });
    if (!user) throw new UnauthenticatedError(ACCOUNT_MESSAGES.sessionEnded);
    return user;
  }

  /**
   * The password again, counted like a login against both of the account's texts (a stolen access
   * token is no unlimited password oracle). A wrong one is BAD_USER_INPUT under `password`: the
   * caller's token is fine, and UNAUTHENTICATED would make clients drop a working session.
   */
  async checkPassword(user: LiveUser, password: string, origin: RequestOrigin): Promise<void> {
    if (!password) throw new InvalidInputError({ password: [ACCOUNT_MESSAGES.blank] });
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) throw new InvalidInputError({ password: [PASSWORD_MESSAGES.tooLong] });
    if (user.passwordHash === null) throw new InvalidInputError({ password: [ACCOUNT_MESSAGES.noPassword] });
    const logins = [user.username, user.email];
    await this.deps.limits.loginAttempt(logins, origin);
    // bcrypt ignores what follows a NUL; no stored password has one.
    const right = !password.includes('\u0000') && password.isWellFormed() && (await this.deps.hasher.verify(password, user.passwordHash));
    if (!right) {
      this.deps.metrics.loginFailures.inc();
      throw new InvalidInputError({ password: [ACCOUNT_MESSAGES.wrongPassword] });
    }
    await this.deps.limits.loginSucceeded(logins, origin);
  }
}
