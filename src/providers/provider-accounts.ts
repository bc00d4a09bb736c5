// Which local account a provider sign-in is for: the rules of account linking.
//
// 1. A known identity (provider + subject) signs in its user.
// 2. A new identity whose provider VOUCHES for an email equal to an existing account's VERIFIED
//    email joins that account. Anything less is refused with ACCOUNT_EXISTS: linking to an
//    unverified address would hand the account to whoever typed that address first, and linking
//    on an address the provider does not vouch for would hand it to whoever typed it at the provider.
// 3. Otherwise a new account: a unique username derived from the profile, no password, the
//    email verified when the provider says so.
import { randomInt } from 'node:crypto';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { uniqueViolation } from '../db/database';
import { AccountExistsError, UnauthenticatedError } from '../auth/errors';
import type { SignInUser } from '../auth/sign-in';
import { ProviderFailure, type ProviderProfile } from './provider-client';

/** Usernames made from a profile: letters, digits and . _ - only (no @: it would look like an email). */
const USERNAME_MAX = 30;
const USERNAME_ATTEMPTS = 8;

const USER_FIELDS = { id: true, username: true, email: true, roleId: true, isActive: true, emailVerifiedAt: true, role: { select: { name: true } } } as const;

interface UserRow {
  id: number;
  username: string;
  email: string;
  roleId: number;
  isActive: boolean;
  emailVerifiedAt: Date | null;
  role: { name: string };
}

export class ProviderAccounts {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly defaultRole: string;

  constructor(deps: { db: Database; clock: Clock; defaultRole: string }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.defaultRole = deps.defaultRole;
  }

  /** The account this profile signs in to, linked or created as the rules above say. */
  async resolve(profile: ProviderProfile): Promise<SignInUser> {
    // Twice at most: a concurrent sign-in of the same person may create the identity or account
    // between our read and our write; the second pass then finds it.
    for (let pass = 0; ; pass++) {
      try {
        return active(await this.find(profile));
      } catch (error) {
        if (pass === 0 && error instanceof Raced) continue;
        throw error;
      }
    }
  }

  private async find(profile: ProviderProfile): Promise<UserRow> {
    const now = this.clock.now();
    const identity = await this.db.prisma.userIdentity.findUnique({
      where: { provider_subject: { provider: profile.provider, subject: profile.subject } },
      select: { id: true, user: { select: USER_FIELDS } },
    });
    if (identity) {
      await this.db.prisma.userIdentity.update({ where: { id: identity.id }, data: { email: profile.email ?? null, lastSignInAt: now } });
      return identity.user;
    }

    const email = profile.email;
    if (!email) throw new ProviderFailure('PROVIDER_ERROR', 'The provider did not share an email address.');
    const existing = await this.db.prisma.user.findUnique({ where: { email }, select: USER_FIELDS });
    if (existing) {
      if (!profile.emailVerified || !existing.emailVerifiedAt) throw new AccountExistsError();
      await this.link(existing.id, profile, now);
      return existing;
    }
    return this.create(profile, email, now);
  }

  private async link(userId: number, profile: ProviderProfile, now: Date): Promise<void> {
    try {
      await this.db.prisma.userIdentity.create({
        data: { userId, provider: profile.provider, subject: profile.subject, email: profile.email ?? null, lastSignInAt: now },
      });
    } catch (error) {
      if (uniqueViolation(error)) throw new Raced();
      throw error;
    }
  }

  private async create(profile: ProviderProfile, email: string, now: Date): Promise<UserRow> {
    const base = usernameBase(profile.usernameHints);
    for (let attempt = 0; attempt < USERNAME_ATTEMPTS; attempt++) {
      const username = attempt === 0 ? base : `${base.slice(0, USERNAME_MAX - 5)}-${randomInt(1000, 10000)}`;
      try {
        return await this.db.prisma.user.create({
          data: {
            username,
            email,
            passwordHash: null,
            emailVerifiedAt: profile.emailVerified ? now : null,
            // The service's clock, like every password_changed_at (see Accounts.register).
            passwordChangedAt: now,
            role: { connect: { name: this.defaultRole } },
            identities: { create: { provider: profile.provider, subject: profile.subject, email, lastSignInAt: now } },
          },
          select: USER_FIELDS,
        });
      } catch (error) {
        const violation = uniqueViolation(error);
        if (!violation) throw error;
        // The email or the identity appeared since we looked: start over and find it.
        if (!violation.fields.some((field) => field.includes('username'))) throw new Raced();
      }
    }
    throw new Error(`no free username found for "${base}" after ${USERNAME_ATTEMPTS} attempts`);
  }
}

/** A concurrent sign-in wrote what we were about to write. */
class Raced extends Error {}

function active(user: UserRow): SignInUser {
  if (!user.isActive) throw new UnauthenticatedError('This account is disabled.');
  return { id: user.id, username: user.username, email: user.email, roleId: user.roleId, role: user.role.name };
}

/** The first hint that survives sanitising: accents dropped, anything but letters, digits and . _ - removed. */
export function usernameBase(hints: string[]): string {
  for (const hint of hints) {
    const clean = hint
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/\s+/g, '.')
      .replace(/[^A-Za-z0-9._-]/g, '')
      .replace(/^[._-]+|[._-]+$/g, '')
      .slice(0, USERNAME_MAX)
      .replace(/[._-]+$/, '');
    if (clean) return clean;
  }
  return 'user';
}
