// Domain failures. Their codes are the documented `extensions.code` values, so every adapter
// (GraphQL, webhooks, a CLI) reports the same failure the same way.

export type FieldErrors = Record<string, string[]>;

export abstract class AuthError extends Error {
  abstract readonly code: string;
}

/** Invalid input; `fields` maps each input field by its plain name to readable reasons. */
export class InvalidInputError extends AuthError {
  readonly code = 'BAD_USER_INPUT';
  constructor(readonly fields: FieldErrors) {
    super(
      Object.entries(fields)
        .map(([field, reasons]) => `${field}: ${reasons.join(' ')}`)
        .join('; ') || 'Invalid input.',
    );
  }
}

/** Missing, malformed, expired or revoked token, or wrong credentials. One message for all. */
export class UnauthenticatedError extends AuthError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'Authentication failed.') {
    super(message);
  }
}

/** A known caller asking for what their account may not do or see (e.g. a role they do not hold). */
export class ForbiddenError extends AuthError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'This account is not allowed to do that.') {
    super(message);
  }
}

/** A password-reset token that is wrong, used, expired or for another email. */
export class InvalidResetTokenError extends AuthError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('The password reset link is invalid or has expired.');
  }
}

export class RateLimitedError extends AuthError {
  readonly code = 'TOO_MANY_REQUESTS';
  constructor(readonly retryAfter: number) {
    super(`Too many attempts. Try again in ${retryAfter} seconds.`);
  }
}

/**
 * The first factor was right, and the account has a second one: no tokens yet. `ticket` (single
 * use, short-lived) and a second-factor code buy them from `user_login_mfa`. Only ever thrown after
 * the first factor succeeded, so it reveals nothing to someone who does not know the password.
 */
export class MfaRequiredError extends AuthError {
  readonly code = 'MFA_REQUIRED';
  constructor(
    readonly ticket: string,
    readonly expiresAt: Date,
  ) {
    super('A second factor is required: send the ticket and a code from the authenticator app (or a recovery code) to user_login_mfa.');
  }
}

/** A second-factor code (TOTP or recovery code) that is wrong, or was used already. */
export class InvalidCodeError extends AuthError {
  readonly code = 'INVALID_TOKEN';
  constructor(message = 'The code is wrong or was already used.') {
    super(message);
  }
}

/**
 * A provider sign-in for an address that belongs to an account it may not join: the provider
 * does not vouch for the address, or the account never proved it owns it. Linking then would let
 * whoever registered the address first take the other's account.
 */
export class AccountExistsError extends AuthError {
  readonly code = 'ACCOUNT_EXISTS';
  constructor() {
    super('An account with this email address already exists. Sign in to it the way it was created.');
  }
}

/** A verification or email-change link that is wrong, used, expired or for another address. */
export class InvalidLinkTokenError extends AuthError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('The link is invalid or has expired.');
  }
}

/**
 * With EMAIL_VERIFICATION=required: the right password of an account whose address is not verified
 * yet. Only ever thrown after the first factor succeeded, so it tells nothing to a guesser.
 */
export class EmailNotVerifiedError extends AuthError {
  readonly code = 'EMAIL_NOT_VERIFIED';
  constructor() {
    super('The email address is not verified yet: open the link in the welcome email, or ask for a new one with user_email_verification_resend.');
  }
}
