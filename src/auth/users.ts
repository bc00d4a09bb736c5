// The users table: what more than one part of the domain does to a user row, in one place.
import type { Db } from '../db/database';

/**
 * Locks an active user's row for the rest of the transaction and reads its latest committed
 * password. Every password change (signed-in change, reset confirm) takes this lock before
 * anything else, so concurrent changes of one user serialise instead of deadlocking.
 * SQL because Prisma's API has no SELECT … FOR UPDATE.
 */
export async function lockActiveUser(
  tx: Db,
  userId: number,
): Promise<{ passwordHash: string | null; passwordChangedAt: Date } | undefined> {
  // password_hash is null for an account made by a provider sign-in that has not set a password.
  const rows = await tx.$queryRaw<{ password_hash: string | null; password_changed_at: Date }[]>`
    SELECT password_hash, password_changed_at FROM users WHERE id = ${userId} AND is_active FOR UPDATE`;
  const row = rows[0];
  return row && { passwordHash: row.password_hash, passwordChangedAt: row.password_changed_at };
}

/**
 * Sets a new password hash. `now` comes from the service's clock, like every reset request's
 * created_at: a reset token is valid only for a request made after the last password change, so
 * both sides of that comparison must come from one clock.
 */
export async function setPassword(db: Db, userId: number, passwordHash: string, now: Date): Promise<void> {
  await db.user.update({
    where: { id: userId },
    data: { passwordHash, passwordChangedAt: now, updatedAt: now },
    select: { id: true },
  });
}
