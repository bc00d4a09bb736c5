// Accounts: registration, login, refresh and logout — the rules behind the GraphQL operations,
// free of GraphQL so that any adapter (resolver, CLI, test) calls the same code.
import { z } from 'zod';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { TRANSACTION_OPTIONS, uniqueViolation } from '../db/database';
import { ANONYMOUS_EMAIL_DOMAIN } from './anonymous-users';
import type { Metrics } from '../metrics';
import type { AccessTokens } from './access-tokens';
import { InvalidInputError, UnauthenticatedError, type FieldErrors } from './errors';
import { MAX_PASSWORD_BYTES, PASSWORD_MESSAGES, type PasswordPolicy } from './password-policy';
import type { PasswordHasher } from './passwords';
import { countEventSql, type RateLimits, type RequestOrigin } from './rate-limits';
import { statement } from '../db/statements';
import { secondFactorSql } from '../factors/totp-factor';
import type { Sessions } from './sessions';
import { isEmailLogin, normaliseLogin, username } from './usernames';
import type { EmailVerificationMode, SignIns, TokenPair } from './sign-in';
import { resolveLocale, type Locale } from '../locales';

export type { TokenPair } from './sign-in';

export interface RegisteredUser {
  id: number;
  username: string;
  email: string;
  /** Null with EMAIL_VERIFICATION=required: the address must be verified before any sign-in. */
  tokens: TokenPair | null;
}

export interface RefreshedTokens {
  access: string;
  refresh: string | undefined;
}

/** Two registrations racing for one name: the unique index decides, the loser hears which field. */
function takenError(error: unknown): unknown {
  const violation = uniqueViolation(error);
  if (!violation) return error;
  return new InvalidInputError(
    violation.fields.some((field) => field.includes('email'))
      ? { email: ['A user with that email already exists.'] }
      : { username: ['A user with that username already exists.'] },
  );
}

export const MAX_EMAIL_LENGTH = 254;
/** The account a login text names, as LOGIN reads it. */
interface LoginAccount {
  id: number;
  username: string;
  email: string;
  password_hash: string | null;
  is_active: boolean;
  role_id: number;
  role: string;
  email_verified: boolean;
  has_second_factor: boolean;
}

/**
 * What LOGIN answers: always one row, the account's columns all NULL when the text names none.
 * `attempts` is NULL when nothing was counted (no login limit, or a saturated one); `attempt_expire`
 * is when the window ends, in ms (a bigint, which pg hands over as text).
 */
type LoginRow = { attempts: number | null; attempt_expire: string | null } & (LoginAccount | { [K in keyof LoginAccount]: null });

/**
 * The password login's first round trip: counts the attempt against the login text's limit
 * (atomically, before the password is checked, so parallel guesses cannot overshoot it) and reads
 * the account a login text names, with everything the sign-in gate asks of it. A text with `@`
 * names an account by email, any other by username, both case-insensitive (citext); no username
 * has an `@`, so at most one of the two is set and at most one account matches. A login storm
 * runs this once per bcrypt compare, and every millisecond of CPU it costs comes out of the
 * hashing on a small machine: hence one named statement rather than Prisma queries.
 */
const LOGIN = statement<
  [key: string | null, expire: number, now: number, saturated: boolean, email: string | null, username: string | null],
  LoginRow
>(
  'accounts.login',
  `WITH attempt AS (${countEventSql({ key: '$1::varchar', expire: '$2::bigint', now: '$3::bigint', saturated: '$4::boolean' })})
   SELECT a.points AS attempts, a.expire AS attempt_expire,
          u.id, u.username, u.email, u.password_hash, u.is_active, u.role_id, r.name AS role,
          u.email_verified_at IS NOT NULL AS email_verified, ${secondFactorSql('u.id')} AS has_second_factor
     FROM (SELECT 1) AS one
     LEFT JOIN attempt a ON true
     LEFT JOIN (users u JOIN roles r ON r.id = u.role_id) ON u.email = $5::citext OR u.username = $6::citext`,
);

/** Refresh tokens are 43 characters; anything much longer is not one. */
const MAX_REFRESH_TOKEN_LENGTH = 256;

export const email = z
  .string()
  .trim()
  .min(1, 'This field may not be blank.')
  .max(MAX_EMAIL_LENGTH, `Ensure this field has no more than ${MAX_EMAIL_LENGTH} characters.`)
  .pipe(z.email('Enter a valid email address.'));

/** Runs a zod schema on one field and collects its reasons under the field's name. */
export function validateField<T>(fields: FieldErrors, name: string, schema: z.ZodType<T>, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  fields[name] = result.error.issues.map((issue) => issue.message);
  return undefined;
}

/** Text that cannot be stored or compared safely: NUL bytes (PostgreSQL refuses them) and lone surrogates. */
export function unsafeText(value: string): boolean {
  return value.includes('\u0000') || !value.isWellFormed();
}

export interface AccountsDependencies {
  db: Database;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: Sessions;
  tokens: AccessTokens;
  clock: Clock;
  limits: RateLimits;
  metrics: Pick<Metrics, 'loginFailures'>;
  /** The role of every new account. */
  defaultRole: string;
  /** Where every sign-in ends: the second-factor gate. */
  signIns: SignIns;
  /** Verification link at sign-up and the language of new users. */
  lifecycle?: { emailVerification: EmailVerificationMode; emailVerifyTtl: number; defaultLocale: Locale };
}

const DEFAULT_LIFECYCLE = { emailVerification: 'optional', emailVerifyTtl: 24 * 3600, defaultLocale: 'en' } as const;

export class Accounts {
  private readonly db: Database;
  private readonly hasher: PasswordHasher;
  private readonly policy: PasswordPolicy;
  private readonly sessions: Sessions;
  private readonly tokens: AccessTokens;
  private readonly clock: Clock;
  private readonly limits: RateLimits;
  private readonly metrics: Pick<Metrics, 'loginFailures'>;
  private readonly defaultRole: string;
  private readonly signIns: SignIns;
  private readonly lifecycle: NonNullable<AccountsDependencies['lifecycle']>;

  constructor({ db, hasher, policy, sessions, tokens, clock, limits, metrics, defaultRole, signIns, lifecycle }: AccountsDependencies) {
    this.lifecycle = lifecycle ?? DEFAULT_LIFECYCLE;
    this.db = db;
    this.hasher = hasher;
    this.policy = policy;
    this.sessions = sessions;
    this.tokens = tokens;
    this.clock = clock;
    this.limits = limits;
    this.metrics = metrics;
    this.defaultRole = defaultRole;
    this.signIns = signIns;
  }

  /**
   * A new account, or — `anonymousUserId`, the caller of an anonymous user's access token — that
   * anonymous user made a full account in place: the same id, so every app row that references it
   * stays its own.
   */
  async register(
    input: { username: string; email: string; password: string; locale?: string | null },
    origin: RequestOrigin = {},
    anonymousUserId?: number,
  ): Promise<RegisteredUser> {
    const fields: FieldErrors = {};
    const name = validateField(fields, 'username', username, input.username);
    const address = validateField(fields, 'email', email, input.email);
    // The placeholder domain of anonymous users (src/auth/anonymous-users.ts): never a real address.
    if (address?.toLowerCase().endsWith(`@${ANONYMOUS_EMAIL_DOMAIN}`)) fields.email = ['Enter a valid email address.'];
    const reasons = await this.policy.check(input.password, { username: input.username, email: input.email });
    if (reasons.length) fields.password = reasons;
    if (!name || !address || Object.keys(fields).length) throw new InvalidInputError(fields);

    // Counted before the (deliberately slow) hash, so a flood of sign-ups costs no CPU.
    await this.limits.registration(origin);
    const passwordHash = await this.hasher.hash(input.password);
    if (anonymousUserId !== undefined && (await this.isAnonymous(anonymousUserId))) {
      return this.upgrade(
        anonymousUserId,
        { username: name, email: address, passwordHash, locale: resolveLocale(input.locale, this.lifecycle.defaultLocale) },
        origin,
      );
    }
    const now = this.clock.now();
    // The verification link of the welcome email (one email at sign-up): its row is made with the
    // user, so the welcome webhook finds it; the token is derived from it when the email is sent.
    const verification =
      this.lifecycle.emailVerification === 'off'
        ? undefined
        : {
            create: {
              email: address,
              withWelcome: true,
              createdAt: now,
              expiresAt: new Date(now.getTime() + this.lifecycle.emailVerifyTtl * 1000),
            },
          };
    let user;
    try {
      user = await this.db.prisma.user.create({
        data: {
          username: name,
          email: address,
          passwordHash,
          // From the service's clock, like every reset request's created_at: a reset token is
          // valid only for a request made after the last password change, so both sides of that
          // comparison must come from one clock (the database's may differ, and tests move ours).
          passwordChangedAt: now,
          role: { connect: { name: this.defaultRole } },
          // Unknown languages fall back rather than fail: a browser's es-MX is Spanish.
          locale: resolveLocale(input.locale, this.lifecycle.defaultLocale),
          ...(verification ? { emailVerifications: verification } : {}),
        },
        select: { id: true, username: true, email: true, roleId: true },
      });
    } catch (error) {
      throw takenError(error);
    }
    // A new account has no second factor yet: straight past the gate, unless its address must be
    // verified first (then no session at all until the link is opened).
    const tokens = this.signIns.verificationRequired
      ? null
      : await this.signIns.issue({ ...user, role: this.defaultRole }, ['pwd'], { userAgent: origin.userAgent });
    return { id: user.id, username: user.username, email: user.email, tokens };
  }

  private async isAnonymous(userId: number): Promise<boolean> {
    const user = await this.db.prisma.user.findUnique({ where: { id: userId }, select: { isAnonymous: true, isActive: true } });
    return user?.isAnonymous === true && user.isActive;
  }

  /**
   * The anonymous user becomes a full account with the default role. Its anonymous sessions end
   * (their tokens say anonymous; a refresh would be refused for the role change anyway) and a new
   * session starts, whose tokens no longer carry the anonymous claim. The welcome email is not
   * sent (Hasura's trigger fires on INSERT only), but with verification on the new address gets its
   * verification link (a request row of its own, whose trigger sends it), and with `required` the
   * upgrade answers no tokens until the address is verified, like any sign-up.
   */
  private async upgrade(
    userId: number,
    account: { username: string; email: string; passwordHash: string; locale: string },
    origin: RequestOrigin,
  ): Promise<RegisteredUser> {
    const now = this.clock.now();
    let user;
    try {
      user = await this.db.prisma.$transaction(async (tx) => {
        // Only while still anonymous: of two concurrent upgrades one wins; the other registers anew below.
        const updated = await tx.user.updateMany({
          where: { id: userId, isAnonymous: true, isActive: true },
          data: { ...account, isAnonymous: false, passwordChangedAt: now },
        });
        if (updated.count !== 1) return undefined;
        const role = await tx.role.findUniqueOrThrow({ where: { name: this.defaultRole }, select: { id: true } });
        await tx.user.update({ where: { id: userId }, data: { roleId: role.id } });
        await this.sessions.endAll(userId, 'role_change', undefined, tx);
        if (this.lifecycle.emailVerification !== 'off') {
          await tx.emailVerificationRequest.create({
            data: { userId, email: account.email, createdAt: now, expiresAt: new Date(now.getTime() + this.lifecycle.emailVerifyTtl * 1000) },
          });
        }
        return tx.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true, username: true, email: true, roleId: true } });
      }, TRANSACTION_OPTIONS);
    } catch (error) {
      throw takenError(error);
    }
    if (!user) throw new UnauthenticatedError('This anonymous user was already upgraded or removed: sign in again.');
    const tokens = this.signIns.verificationRequired
      ? null
      : await this.signIns.issue({ ...user, role: this.defaultRole }, ['pwd'], { userAgent: origin.userAgent });
    return { id: user.id, username: user.username, email: user.email, tokens };
  }

  /**
   * `login` is a username or an email, in any letter case. One answer for every failure. Password
   * guesses are limited per login text and (with TRUST_PROXY) per client; a right password clears
   * the text's count. With a second factor on, the right password answers MFA_REQUIRED (a ticket)
   * instead of tokens; a wrong one never does.
   */
  async login(input: { username: string; password: string }, origin: RequestOrigin = {}): Promise<TokenPair> {
    const login = input.username.trim();
    if (!login || !input.password) {
      throw new InvalidInputError({
        ...(login ? {} : { username: ['This field may not be blank.'] }),
        ...(input.password ? {} : { password: ['This field may not be blank.'] }),
      });
    }
    // bcrypt would ignore everything past the 72nd byte; refused here exactly as on registration,
    // change and reset, before anything about an account is looked at.
    if (Buffer.byteLength(input.password, 'utf8') > MAX_PASSWORD_BYTES) {
      throw new InvalidInputError({ password: [PASSWORD_MESSAGES.tooLong] });
    }
    const { canMatch } = normaliseLogin(login);
    // Over-long or unstorable input cannot match an account; hash anyway so it takes as long.
    const plausible = canMatch && login.length <= MAX_EMAIL_LENGTH && !unsafeText(input.password);
    // The client first (only with TRUST_PROXY): attempts it refuses (credential stuffing) then
    // leave the accounts alone.
    await this.limits.clientLoginAttempt(origin);
    // Counted by the login text as the database compares it, whether or not it names an account:
    // a count that depended on the account would tell who exists and link a username to its email.
    const counter = this.limits.loginCounter(login);
    const email = plausible && isEmailLogin(login) ? login : null;
    const name = plausible && !isEmailLogin(login) ? login : null;
    const [row] = (await LOGIN.rows(this.db.pool, counter?.key ?? null, counter?.expire ?? 0, counter?.now ?? 0, counter?.saturated ?? false, email, name)) as [LoginRow];
    this.limits.checkLoginCount(counter, row.attempts, row.attempt_expire === null ? null : Number(row.attempt_expire));
    const user = row.id === null ? undefined : row;
    // No password (an account made by a provider sign-in): no password matches.
    const matches = await this.hasher.verify(input.password, user?.password_hash ?? undefined);
    if (!user || user.password_hash === null || !matches || !user.is_active) {
      this.metrics.loginFailures.inc();
      throw new UnauthenticatedError('Invalid username or password.');
    }
    await this.limits.clientLoginSucceeded(origin);
    if (this.hasher.needsRehash(user.password_hash)) await this.upgradeHash(user.id, user.password_hash, input.password);

    return this.signIns.complete(
      { id: user.id, username: user.username, email: user.email, roleId: user.role_id, role: user.role },
      ['pwd'],
      { userAgent: origin.userAgent },
      { facts: { emailVerified: user.email_verified, hasSecondFactor: user.has_second_factor }, forget: counter },
    );
  }

  /** Re-hashes a password at today's BCRYPT_ROUNDS, now that it is known to be right. */
  private async upgradeHash(userId: number, checkedHash: string, password: string): Promise<void> {
    const upgraded = await this.hasher.hash(password);
    // Only while the stored hash is the one just checked: a concurrent password change wins.
    await this.db.prisma.user.updateMany({ where: { id: userId, passwordHash: checkedHash }, data: { passwordHash: upgraded } });
  }

  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    this.checkRefreshToken(refreshToken);
    const result = await this.sessions.refresh(refreshToken);
    return { access: await this.tokens.sign(result.subject), refresh: result.refreshToken };
  }

  async logout(refreshToken: string): Promise<void> {
    this.checkRefreshToken(refreshToken);
    await this.sessions.logout(refreshToken);
  }

  private checkRefreshToken(token: string): void {
    if (!token) throw new InvalidInputError({ refresh: ['This field may not be blank.'] });
    if (token.length > MAX_REFRESH_TOKEN_LENGTH || unsafeText(token)) {
      throw new UnauthenticatedError('The refresh token is invalid or has expired.');
    }
  }
}
