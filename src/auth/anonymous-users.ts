// Anonymous users: an app lets people try it before signing up. user_signin_anonymous makes a user
// with ANONYMOUS_ROLE and no credentials; its access token carries x-hasura-user-is-anonymous
// "true", so Hasura permissions can treat it apart. user_register with that user's access token
// turns the same row (same id, so every app row that references it) into a full account.
//
// An anonymous user keeps the users table's rules: its username and email are placeholders
// (`anonymous-<uuid>`, `<uuid>@anonymous.invalid`; .invalid is reserved never to resolve, RFC 2606),
// it has no password, and nothing sends it email (every email path skips is_anonymous).
// Anonymous users nobody has used for ANONYMOUS_USER_TTL are deleted (removeStale): by the service
// every hour, or by a Hasura cron trigger calling /events/anonymous_users_cleanup.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { Prisma } from '../db/generated/client';
import { ForbiddenError } from './errors';
import type { RateLimits, RequestOrigin } from './rate-limits';
import type { SignIns, TokenPair } from './sign-in';

export const ANONYMOUS_EMAIL_DOMAIN = 'anonymous.invalid';

/** How often the service itself removes stale anonymous users. */
const CLEANUP_EVERY_MS = 60 * 60 * 1000;

export interface AnonymousUsersOptions {
  enabled: boolean;
  role: string;
  /** Seconds without a sign-in or a session in use after which an anonymous user is deleted. */
  ttl: number;
}

export interface AnonymousUsersDependencies {
  db: Database;
  clock: Clock;
  limits: RateLimits;
  signIns: SignIns;
  options: AnonymousUsersOptions;
}

export class AnonymousUsers {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly limits: RateLimits;
  private readonly signIns: SignIns;
  private readonly options: AnonymousUsersOptions;
  private timer: NodeJS.Timeout | undefined;

  constructor({ db, clock, limits, signIns, options }: AnonymousUsersDependencies) {
    this.db = db;
    this.clock = clock;
    this.limits = limits;
    this.signIns = signIns;
    this.options = options;
  }

  /** A new anonymous user, signed in. FORBIDDEN unless ANONYMOUS_USERS is on. */
  async signIn(origin: RequestOrigin = {}): Promise<TokenPair> {
    if (!this.options.enabled) throw new ForbiddenError('Anonymous sign-in is turned off (ANONYMOUS_USERS).');
    await this.limits.anonymousSignIn(origin);
    const id = randomUUID();
    const now = this.clock.now();
    const user = await this.db.prisma.user.create({
      data: {
        username: `anonymous-${id}`,
        email: `${id}@${ANONYMOUS_EMAIL_DOMAIN}`,
        passwordHash: null,
        isAnonymous: true,
        // Nothing to send: the welcome email's webhook skips anonymous users anyway.
        registrationSent: true,
        // The service's clock, as the clean-up compares them with it.
        createdAt: now,
        passwordChangedAt: now,
        role: { connect: { name: this.options.role } },
      },
      select: { id: true, username: true, email: true, roleId: true },
    });
    // No factor proven: amr is empty. Through the gate all the same, so no sign-in skips it.
    return this.signIns.complete({ ...user, role: this.options.role, anonymous: true }, []);
  }

  /**
   * Deletes anonymous users with no sign-in and no session used since `now - ttl`; their sessions
   * go with them, and app rows as the app's foreign keys say. Answers how many were deleted. When
   * an app row refuses (a foreign key without ON DELETE CASCADE), the others are deleted one by
   * one and that user stays: one refusing row must not keep every stale user forever.
   */
  async removeStale(now: Date = this.clock.now()): Promise<number> {
    const before = new Date(now.getTime() - this.options.ttl * 1000);
    const where = {
      isAnonymous: true,
      createdAt: { lt: before },
      OR: [{ lastLoginAt: null }, { lastLoginAt: { lt: before } }],
      sessions: { none: { lastUsedAt: { gte: before } } },
    };
    try {
      return (await this.db.prisma.user.deleteMany({ where })).count;
    } catch (error) {
      if (!foreignKeyViolation(error)) throw error;
    }
    let removed = 0;
    for (const { id } of await this.db.prisma.user.findMany({ where, select: { id: true } })) {
      try {
        removed += (await this.db.prisma.user.deleteMany({ where: { ...where, id } })).count;
      } catch (error) {
        if (!foreignKeyViolation(error)) throw error;
      }
    }
    return removed;
  }

  /** Removes stale anonymous users every hour until `stop`, when anonymous users are on. */
  startCleaning(onError: (error: unknown) => void): void {
    if (!this.options.enabled) return;
    this.timer ??= setInterval(() => this.removeStale().catch(onError), CLEANUP_EVERY_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A row elsewhere still references the user (a foreign key that restricts deletes). */
function foreignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
}
