// The end of every sign-in. Whatever proved the first factor (a password, a provider, an email
// link), it comes here before any token is issued: an account with a second factor gets an MFA
// ticket instead of tokens, unless the sign-in already proved two factors (a passkey with user
// verification). One gate, so no sign-in path can forget it.
import type { Database } from '../db/database';
import type { MfaTickets } from '../factors/mfa-tickets';
import type { TotpFactor } from '../factors/totp-factor';
import type { Metrics } from '../metrics';
import type { AccessTokens } from './access-tokens';
import { EmailNotVerifiedError, InvalidCodeError, InvalidInputError, MfaRequiredError, UnauthenticatedError } from './errors';
import type { LimitCounter, RateLimits } from './rate-limits';
import type { Sessions } from './sessions';

export interface TokenPair {
  access: string;
  refresh: string;
}

/** What a token needs to know of the user signing in. */
export interface SignInUser {
  id: number;
  username: string;
  email: string;
  roleId: number;
  role: string;
  /** An anonymous user: its tokens say so (x-hasura-user-is-anonymous). */
  anonymous?: boolean;
}

/**
 * Authentication method references (RFC 8176) as tokens carry them in `amr`: `pwd` a password,
 * `otp` a one-time code (TOTP or recovery code), `webauthn` a passkey with user verification
 * (two factors by itself), `oauth` a provider, `email` an emailed link or code (RFC 8176 has no
 * name for it; not `otp`, which this gate counts as a second factor). An anonymous sign-in proves
 * nothing: its `amr` is empty.
 */
export type AuthMethod = 'pwd' | 'otp' | 'webauthn' | 'oauth' | 'email';

/** EMAIL_VERIFICATION: whether an unverified address may sign in. */
export type EmailVerificationMode = 'off' | 'optional' | 'required';

/**
 * What the first factor's own lookup already read of the account, so that the gate does not read
 * it again (the password login reads it with the account, in the statement that counts the attempt).
 */
export interface AccountFacts {
  emailVerified: boolean;
  hasSecondFactor: boolean;
}

/** What a first factor hands the gate besides the user. */
export interface FirstFactor {
  /** Without them, the gate reads them itself. */
  facts?: AccountFacts;
  /**
   * A right password's failure counter (its login text), forgotten now: in the new session's own
   * statement, or on its own when the gate answers without a session.
   */
  forget?: LimitCounter;
}

/** What a new session records about the client that signed in. */
export interface SignInClient {
  userAgent?: string;
}

const TICKET_REFUSED = 'The sign-in ticket is invalid, used or expired: sign in again.';

/** Methods that are, or complete, a second factor. */
const MULTI_FACTOR: readonly AuthMethod[] = ['otp', 'webauthn'];

export class SignIns {
  private readonly db: Database;
  private readonly sessions: Sessions;
  private readonly tokens: AccessTokens;
  private readonly tickets: MfaTickets;
  private readonly totp: TotpFactor;
  private readonly metrics: Pick<Metrics, 'loginFailures'>;
  private readonly limits: Pick<RateLimits, 'forget'>;
  private readonly emailVerification: EmailVerificationMode;

  constructor(deps: {
    db: Database;
    sessions: Sessions;
    tokens: AccessTokens;
    tickets: MfaTickets;
    totp: TotpFactor;
    metrics: Pick<Metrics, 'loginFailures'>;
    limits: Pick<RateLimits, 'forget'>;
    emailVerification?: EmailVerificationMode;
  }) {
    this.limits = deps.limits;
    this.emailVerification = deps.emailVerification ?? 'optional';
    this.db = deps.db;
    this.sessions = deps.sessions;
    this.tokens = deps.tokens;
    this.tickets = deps.tickets;
    this.totp = deps.totp;
    this.metrics = deps.metrics;
  }

  /**
   * A user whose first factor just succeeded: tokens; EMAIL_NOT_VERIFIED when EMAIL_VERIFICATION is
   * `required` and the address is not verified (only now, after the first factor, so a guesser
   * learns nothing); or MFA_REQUIRED with a ticket when the account has TOTP on and `amr` holds no
   * second factor yet. `first`: what the first factor already read, and a counter to forget.
   */
  async complete(user: SignInUser, amr: readonly AuthMethod[], client: SignInClient = {}, first: FirstFactor = {}): Promise<TokenPair> {
    const { facts, forget } = first;
    // Before the second factor: an address that must be verified first makes a code pointless.
    if (this.verificationRequired && !(facts ? facts.emailVerified : await this.emailVerified(user.id))) {
      if (forget) await this.limits.forget(forget);
      throw new EmailNotVerifiedError();
    }
    if (!amr.some((m) => MULTI_FACTOR.includes(m)) && (facts ? facts.hasSecondFactor : await this.hasSecondFactor(user.id))) {
      if (forget) await this.limits.forget(forget);
      const { ticket, expiresAt } = await this.tickets.issue(user.id, amr);
      throw new MfaRequiredError(ticket, expiresAt);
    }
    return this.issue(user, amr, client, forget);
  }

  /** With EMAIL_VERIFICATION=required no token is issued before the address is verified. */
  get verificationRequired(): boolean {
    return this.emailVerification === 'required';
  }

  /**
   * The second step: an MFA ticket and a TOTP or recovery code buy the tokens. A ticket that is
   * unknown, used or expired is UNAUTHENTICATED (sign in again); a wrong code is INVALID_TOKEN and
   * leaves the ticket usable until it expires, within the per-account attempt limit.
   */
  async completeWithCode(input: { ticket: string; code: string }, client: SignInClient = {}): Promise<TokenPair> {
    if (!input.ticket || !input.code.trim()) {
      throw new InvalidInputError({
        ...(input.ticket ? {} : { ticket: ['This field may not be blank.'] }),
        ...(input.code.trim() ? {} : { code: ['This field may not be blank.'] }),
      });
    }
    const found = await this.tickets.find(input.ticket);
    if (!found) throw new UnauthenticatedError(TICKET_REFUSED);
    try {
      await this.totp.verify(found.userId, input.code);
    } catch (error) {
      // A wrong second factor is a failed sign-in like a wrong password: guessing shows in the metrics.
      if (error instanceof InvalidCodeError) this.metrics.loginFailures.inc();
      throw error;
    }
    // The code is spent; the ticket must be too, or two requests could share one ticket.
    if (!(await this.tickets.consume(input.ticket))) throw new UnauthenticatedError(TICKET_REFUSED);
    const user = await this.activeUser(found.userId);
    if (!user) throw new UnauthenticatedError(TICKET_REFUSED);
    return this.issue(user, [...(found.amr as AuthMethod[]), 'otp'], client);
  }

  /**
   * A new session and its tokens, past the gate: only for sign-ins whose every factor is proven.
   * `forget`: a counter the session's statement deletes with it.
   */
  async issue(user: SignInUser, amr: readonly AuthMethod[], client: SignInClient = {}, forget?: LimitCounter): Promise<TokenPair> {
    // One statement starts the session and reads the token's database state; a claims function
    // that refuses this user leaves no session behind.
    const session = await this.sessions.start(user.id, user.roleId, amr, client.userAgent, forget);
    const { grants } = session;
    const access = await this.tokens.sign({
      emailVerified: session.emailVerified,
      userId: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      sessionId: session.sessionId,
      amr,
      anonymous: user.anonymous ?? false,
      grantedRoles: grants.roles,
      claims: grants.claims,
    });
    return { access, refresh: session.refreshToken };
  }

  /** The active user with that id, as a sign-in needs it; `undefined` when gone or deactivated. */
  async activeUser(userId: number): Promise<SignInUser | undefined> {
    const user = await this.db.prisma.user.findUnique({
      where: { id: userId },
      select: { id: true, username: true, email: true, roleId: true, isActive: true, isAnonymous: true, role: { select: { name: true } } },
    });
    if (!user?.isActive) return undefined;
    return { id: user.id, username: user.username, email: user.email, roleId: user.roleId, role: user.role.name, anonymous: user.isAnonymous };
  }

  private async emailVerified(userId: number): Promise<boolean> {
    const user = await this.db.prisma.user.findUnique({ where: { id: userId }, select: { emailVerifiedAt: true } });
    return Boolean(user?.emailVerifiedAt);
  }

  private hasSecondFactor(userId: number): Promise<boolean> {
    return this.totp.isEnabled(userId);
  }
}
