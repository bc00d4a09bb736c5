// Changing a password while signed in (user_change_password). The caller proves the old
// password again, because an access token alone (a borrowed laptop, a leaked token) must not be
// enough to lock the owner out. On success every other session ends, outstanding reset links die,
// and the caller's own session carries on.
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { inTransaction } from '../db/transaction';
import type { Caller } from './access-tokens';
import { InvalidInputError, UnauthenticatedError, type FieldErrors } from './errors';
import { MAX_PASSWORD_BYTES, type PasswordPolicy } from './password-policy';
import { useOutstandingResets } from './password-resets';
import type { PasswordHasher } from './passwords';
import type { Sessions } from './sessions';

export const CHANGE_MESSAGES = {
  blank: 'This field may not be blank.',
  // Django's PasswordChangeForm wording.
  oldIncorrect: 'Your old password was entered incorrectly. Please enter it again.',
  sameAsOld: 'The new password must be different from the old password.',
  sessionEnded: 'This session has ended. Sign in again.',
  // An account made by a provider sign-in: there is no old password to prove.
  noPassword: 'This account has no password yet: set one through a password reset (user_password_reset).',
} as const;

interface UserRow {
  username: string;
  email: string;
  password_hash: string | null;
}

const FIND_USER = {
  name: 'password_changes.find_user',
  text: `SELECT username, email, password_hash FROM users WHERE id = $1 AND is_active`,
};

// Taken first in the transaction: the row lock serialises this change with a concurrent reset
// confirm or another change of the same user (both lock the user row before anything else, so
// they cannot deadlock), and FOR UPDATE reads the latest committed hash.
const LOCK_USER = {
  name: 'password_changes.lock_user',
  text: `SELECT u.password_hash,
                EXISTS (SELECT 1 FROM sessions s WHERE s.id = $2 AND s.user_id = u.id AND s.revoked_at IS NULL) AS live
           FROM users u
          WHERE u.id = $1 AND u.is_active
            FOR UPDATE OF u`,
};

const SET_PASSWORD = {
  name: 'password_changes.set_password',
  text: `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`,
};

export class PasswordChanges {
  constructor(
    private readonly db: Database,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: Sessions,
    private readonly clock: Clock,
  ) {}

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
    const { rows } = await this.db.pool.query<UserRow>({ ...FIND_USER, values: [caller.userId] });
    const user = rows[0];
    if (!user) throw new UnauthenticatedError(CHANGE_MESSAGES.sessionEnded);
    const currentHash = user.password_hash;
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
    await inTransaction(this.db.pool, async (client) => {
      await this.apply(client, caller, currentHash, newHash);
    });
  }

  private async apply(client: pg.PoolClient, caller: Caller, verifiedHash: string, newHash: string): Promise<void> {
    const { rows } = await client.query<{ password_hash: string | null; live: boolean }>({
      ...LOCK_USER,
      values: [caller.userId, caller.sessionId],
    });
    const locked = rows[0];
    if (!locked?.live) throw new UnauthenticatedError(CHANGE_MESSAGES.sessionEnded);
    // Changed by a concurrent request since we checked the old password: that check no longer holds.
    if (locked.password_hash !== verifiedHash) {
      throw new InvalidInputError({ old_password: [CHANGE_MESSAGES.oldIncorrect] });
    }
    const now = this.clock.now();
    await client.query({ ...SET_PASSWORD, values: [caller.userId, newHash, now] });
    await useOutstandingResets(client, caller.userId, now);
    await this.sessions.endAll(caller.userId, 'password_change', caller.sessionId, client);
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
