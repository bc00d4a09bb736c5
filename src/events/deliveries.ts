// The emails that database events call for — the welcome email of a new user and the email of a
// password-reset request — each sent at most once however often its event is delivered.
// Free of HTTP: the webhook router (router.ts) is one adapter; a script or a test can call it too.
//
// One delivery: claim the email (email-claims.ts) → read the row again by id → decide → render →
// send → record. The row is always re-read: the event payload is a copy taken at insert time
// (or forged, by anyone holding the webhook secret), so flags, activity, expiry and the address
// come from the database, and the reset token is derived from the stored row, never from the payload.
import type { RateLimits } from '../auth/rate-limits';
import type { SignInEmailSecrets } from '../auth/email-sign-ins';
import type { RowTokens } from '../auth/row-tokens';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { senderDomain, type Mailer, type OutgoingEmail } from '../email/mailer';
import { emailLink } from '../email/reset-link';
import { resolveLocale, type Locale } from '../locales';
import type { EmailKind, EmailTemplates } from '../email/templates';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Prisma } from '../db/generated/client';
import { EmailClaims, type Claim } from './email-claims';

export type SkipReason =
  | 'user_missing'
  | 'user_inactive'
  | 'request_missing'
  | 'request_used'
  | 'request_expired'
  /** An anonymous user has no address: nothing is ever sent to it. */
  | 'user_anonymous'
  /** A verification link made at sign-up travels in the welcome email, not in one of its own. */
  | 'sent_with_welcome'
  /** The address the email was for is no longer the account's. */
  | 'address_changed'
  /** RATE_LIMIT_EMAIL_PER_DOMAIN: too many emails to the recipient's domain this hour. */
  | 'domain_limit';

export type DeliveryOutcome =
  | { status: 'sent'; messageId: string }
  /** Sent before, or being sent right now by another delivery of the same event. */
  | { status: 'already_sent' }
  /** Nothing to send, and nothing will be: the row is gone, the user inactive, the request spent. */
  | { status: 'skipped'; reason: SkipReason };

type Unsent = Exclude<DeliveryOutcome, { status: 'sent' }>;

export interface EmailDeliveriesDependencies {
  db: Database;
  mailer: Mailer;
  templates: EmailTemplates;
  resetTokens: RowTokens;
  /** Derives a sign-in request's link token and code. */
  signInSecrets: SignInEmailSecrets;
  /** SIGNIN_EMAIL_URL. */
  signInEmailUrl: string;
  /** The per-recipient-domain cap on emails. */
  limits: Pick<RateLimits, 'emailTo'>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  appName: string;
  emailFrom: string;
  passwordResetUrl: string;
  /** Derive the tokens of verification and email-change links from their rows. */
  verifyTokens: RowTokens;
  changeTokens: RowTokens;
  lifecycle: { emailVerification: 'off' | 'optional' | 'required'; emailVerifyUrl: string; defaultLocale: Locale };
  /** Seconds; tests shorten it. */
  leaseSeconds?: number;
}

/** Backoff when recording a sent email fails: the email is out, so giving up risks sending it twice. */
const MARK_RETRY_DELAYS_MS = [100, 500, 2000];

interface Job<Row> {
  kind: EmailKind;
  key: string;
  ids: Record<string, string | number>;
  load(): Promise<Row | undefined>;
  /** Why nothing is sent when the row is gone. */
  missing: SkipReason;
  /** An outcome that ends the delivery without sending, or undefined to send. */
  check(row: Row): Unsent | undefined;
  compose(row: Row): OutgoingEmail;
  /** Sets the row's flag; run in one transaction with the claim's sent_at. */
  markSent(row: Row): Prisma.PrismaPromise<unknown>;
}

export class EmailDeliveries {
  private readonly claims: EmailClaims;
  private readonly domain: string | undefined;

  constructor(private readonly options: EmailDeliveriesDependencies) {
    this.claims = new EmailClaims({ db: options.db, leaseSeconds: options.leaseSeconds });
    this.domain = senderDomain(options.emailFrom);
  }

  /** The welcome email of user `userId`; sets users.registration_sent once the mail server accepted it. */
  welcome(userId: number): Promise<DeliveryOutcome> {
    return this.deliver({
      kind: 'welcome',
      key: `welcome:${userId}`,
      ids: { userId },
      load: async () =>
        (await this.options.db.prisma.user.findUnique({
          where: { id: userId },
          select: {
            id: true,
            username: true,
            email: true,
            isActive: true,
            isAnonymous: true,
            registrationSent: true,
            createdAt: true,
            locale: true,
            // The link made at sign-up, if it still works: the welcome email carries it.
            emailVerifications: {
              where: { withWelcome: true, usedAt: null },
              orderBy: { createdAt: 'desc' },
              take: 1,
              select: { id: true, email: true, expiresAt: true },
            },
            emailVerifiedAt: true,
          },
        })) ?? undefined,
      missing: 'user_missing',
      check: (user) => {
        if (user.registrationSent) return { status: 'already_sent' };
        if (user.isAnonymous) return { status: 'skipped', reason: 'user_anonymous' };
        if (!user.isActive) return { status: 'skipped', reason: 'user_inactive' };
        return undefined;
      },
      compose: (user) => {
        const locale = this.locale(user.locale);
        const link = user.emailVerifications[0];
        const now = this.options.clock.now().getTime();
        const withLink =
          this.options.lifecycle.emailVerification !== 'off' &&
          !user.emailVerifiedAt &&
          link !== undefined &&
          link.expiresAt.getTime() > now &&
          link.email.toLowerCase() === user.email.toLowerCase();
        return {
          to: user.email,
          ...this.options.templates.render(
            'welcome',
            {
              app_name: this.options.appName,
              username: user.username,
              email: user.email,
              ...(withLink
                ? {
                    verify_link: this.verifyLink(this.options.verifyTokens.tokenFor({ id: link.id, userId: user.id }), user.email, locale),
                    valid_for: describeDuration((link.expiresAt.getTime() - now) / 1000, locale),
                  }
                : {}),
            },
            locale,
          ),
          messageId: this.messageId(`welcome.${user.id}.${user.createdAt.getTime()}`),
        };
      },
      markSent: (user) =>
        this.options.db.prisma.user.updateMany({ where: { id: user.id }, data: { registrationSent: true } }),
    });
  }

  /** The email of password-reset request `requestId`; sets password_reset_requests.reset_sent once accepted. */
  passwordReset(requestId: string): Promise<DeliveryOutcome> {
    return this.deliver({
      kind: 'password-reset',
      key: `password-reset:${requestId}`,
      ids: { requestId },
      load: async () =>
        (await this.options.db.prisma.passwordResetRequest.findUnique({
          where: { id: requestId },
          select: {
            id: true,
            userId: true,
            expiresAt: true,
            usedAt: true,
            resetSent: true,
            user: { select: { username: true, email: true, isActive: true, locale: true } },
          },
        })) ?? undefined,
      missing: 'request_missing',
      check: (request) => {
        if (request.resetSent) return { status: 'already_sent' };
        if (!request.user.isActive) return { status: 'skipped', reason: 'user_inactive' };
        if (request.usedAt) return { status: 'skipped', reason: 'request_used' };
        if (request.expiresAt.getTime() <= this.options.clock.now().getTime()) return { status: 'skipped', reason: 'request_expired' };
        return undefined;
      },
      compose: (request) => {
        const token = this.options.resetTokens.tokenFor({ id: request.id, userId: request.userId });
        const { username, email } = request.user;
        const locale = this.locale(request.user.locale);
        const remaining = (request.expiresAt.getTime() - this.options.clock.now().getTime()) / 1000;
        return {
          to: email,
          ...this.options.templates.render(
            'password-reset',
            {
              app_name: this.options.appName,
              username,
              email,
              reset_link: emailLink(this.options.passwordResetUrl, { token, email, lang: locale }),
              valid_for: describeDuration(remaining, locale),
              expires_at: `${request.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
            },
            locale,
          ),
          messageId: this.messageId(`password-reset.${request.id}`),
        };
      },
      markSent: (request) =>
        this.options.db.prisma.passwordResetRequest.updateMany({ where: { id: request.id }, data: { resetSent: true } }),
    });
  }

  /**
   * The email of sign-in request `requestId`: the link and the code, both derived from the row.
   * Sent to the account's address, or for a signup request (no account yet) to the address asked
   * for; sets signin_email_requests.email_sent once accepted.
   */
  signInEmail(requestId: string): Promise<DeliveryOutcome> {
    return this.deliver({
      kind: 'signin-email',
      key: `signin-email:${requestId}`,
      ids: { requestId },
      load: async () =>
        (await this.options.db.prisma.signInEmailRequest.findUnique({
          where: { id: requestId },
          select: {
            id: true,
            email: true,
            expiresAt: true,
            usedAt: true,
            emailSent: true,
            user: { select: { email: true, isActive: true, isAnonymous: true, locale: true } },
          },
        })) ?? undefined,
      missing: 'request_missing',
      check: (request) => {
        if (request.emailSent) return { status: 'already_sent' };
        if (request.user?.isAnonymous) return { status: 'skipped', reason: 'user_anonymous' };
        if (request.user && !request.user.isActive) return { status: 'skipped', reason: 'user_inactive' };
        if (request.usedAt) return { status: 'skipped', reason: 'request_used' };
        if (request.expiresAt.getTime() <= this.options.clock.now().getTime()) return { status: 'skipped', reason: 'request_expired' };
        return undefined;
      },
      compose: (request) => {
        const email = request.user?.email ?? request.email;
        // An address without an account (PASSWORDLESS_SIGNUP) has no language yet: the default.
        const locale = this.locale(request.user?.locale ?? this.options.lifecycle.defaultLocale);
        return {
          to: email,
          ...this.options.templates.render(
            'signin-email',
            {
              app_name: this.options.appName,
              email,
              signin_link: emailLink(this.options.signInEmailUrl, { token: this.options.signInSecrets.tokenFor(request.id), email, lang: locale }),
              code: this.options.signInSecrets.codeFor(request.id),
              valid_for: this.validFor(request.expiresAt, locale),
            },
            locale,
          ),
          messageId: this.messageId(`signin-email.${request.id}`),
        };
      },
      markSent: (request) =>
        this.options.db.prisma.signInEmailRequest.updateMany({ where: { id: request.id }, data: { emailSent: true } }),
    });
  }

  /** A verification link asked for again (user_email_verification_resend); sets link_sent once accepted. */
  verifyEmail(requestId: string): Promise<DeliveryOutcome> {
    return this.deliver({
      kind: 'verify-email',
      key: `verify-email:${requestId}`,
      ids: { requestId },
      load: async () =>
        (await this.options.db.prisma.emailVerificationRequest.findUnique({
          where: { id: requestId },
          select: {
            id: true,
            userId: true,
            email: true,
            withWelcome: true,
            expiresAt: true,
            usedAt: true,
            linkSent: true,
            user: { select: { username: true, email: true, isActive: true, locale: true } },
          },
        })) ?? undefined,
      missing: 'request_missing',
      check: (request) => {
        if (request.linkSent) return { status: 'already_sent' };
        if (request.withWelcome) return { status: 'skipped', reason: 'sent_with_welcome' };
        return this.checkLink(request, request.user.isActive) ?? this.sameAddress(request.email, request.user.email);
      },
      compose: (request) => {
        const locale = this.locale(request.user.locale);
        const token = this.options.verifyTokens.tokenFor({ id: request.id, userId: request.userId });
        return {
          to: request.user.email,
          ...this.options.templates.render(
            'verify-email',
            {
              app_name: this.options.appName,
              username: request.user.username,
              email: request.user.email,
              verify_link: this.verifyLink(token, request.user.email, locale),
              valid_for: this.validFor(request.expiresAt, locale),
            },
            locale,
          ),
          messageId: this.messageId(`verify-email.${request.id}`),
        };
      },
      markSent: (request) =>
        this.options.db.prisma.emailVerificationRequest.updateMany({ where: { id: request.id }, data: { linkSent: true } }),
    });
  }

  /** The confirmation link of a change of email, to the new address; sets link_sent once accepted. */
  emailChange(requestId: string): Promise<DeliveryOutcome> {
    return this.deliver({
      kind: 'email-change',
      key: `email-change:${requestId}`,
      ids: { requestId },
      load: () => this.loadEmailChange(requestId),
      missing: 'request_missing',
      check: (request) => {
        if (request.linkSent) return { status: 'already_sent' };
        return this.checkLink(request, request.user.isActive) ?? this.sameAddress(request.oldEmail, request.user.email);
      },
      compose: (request) => {
        const locale = this.locale(request.user.locale);
        const token = this.options.changeTokens.tokenFor({ id: request.id, userId: request.userId });
        return {
          to: request.newEmail,
          ...this.options.templates.render(
            'email-change',
            {
              app_name: this.options.appName,
              username: request.user.username,
              email: request.newEmail,
              confirm_link: emailLink(this.options.lifecycle.emailVerifyUrl, {
                token,
                email: request.newEmail,
                lang: locale,
                extra: { type: 'email_change' },
              }),
              valid_for: this.validFor(request.expiresAt, locale),
            },
            locale,
          ),
          messageId: this.messageId(`email-change.${request.id}`),
        };
      },
      markSent: (request) => this.options.db.prisma.emailChangeRequest.updateMany({ where: { id: request.id }, data: { linkSent: true } }),
    });
  }

  /** The notice of a change of email, to the address being replaced; sets notice_sent once accepted. */
  emailChangeNotice(requestId: string): Promise<DeliveryOutcome> {
    return this.deliver({
      kind: 'email-change-notice',
      key: `email-change-notice:${requestId}`,
      ids: { requestId },
      load: () => this.loadEmailChange(requestId),
      missing: 'request_missing',
      // Sent even once the change is confirmed or expired: the owner of the old address should
      // learn of the attempt whatever became of it.
      check: (request) => {
        if (request.noticeSent) return { status: 'already_sent' };
        if (!request.user.isActive) return { status: 'skipped', reason: 'user_inactive' };
        return undefined;
      },
      compose: (request) => {
        const locale = this.locale(request.user.locale);
        return {
          to: request.oldEmail,
          ...this.options.templates.render(
            'email-change-notice',
            { app_name: this.options.appName, username: request.user.username, email: request.oldEmail, new_email: request.newEmail },
            locale,
          ),
          messageId: this.messageId(`email-change-notice.${request.id}`),
        };
      },
      markSent: (request) => this.options.db.prisma.emailChangeRequest.updateMany({ where: { id: request.id }, data: { noticeSent: true } }),
    });
  }

  private async loadEmailChange(requestId: string) {
    return (
      (await this.options.db.prisma.emailChangeRequest.findUnique({
        where: { id: requestId },
        select: {
          id: true,
          userId: true,
          newEmail: true,
          oldEmail: true,
          expiresAt: true,
          usedAt: true,
          linkSent: true,
          noticeSent: true,
          user: { select: { username: true, email: true, isActive: true, locale: true } },
        },
      })) ?? undefined
    );
  }

  /** Why a link email is not sent: the user is inactive, or the link is used or expired. */
  private checkLink(request: { usedAt: Date | null; expiresAt: Date }, active: boolean): Unsent | undefined {
    if (!active) return { status: 'skipped', reason: 'user_inactive' };
    if (request.usedAt) return { status: 'skipped', reason: 'request_used' };
    if (request.expiresAt.getTime() <= this.options.clock.now().getTime()) return { status: 'skipped', reason: 'request_expired' };
    return undefined;
  }

  private sameAddress(expected: string, current: string): Unsent | undefined {
    return expected.toLowerCase() === current.toLowerCase() ? undefined : { status: 'skipped', reason: 'address_changed' };
  }

  private verifyLink(token: string, email: string, locale: Locale): string {
    return emailLink(this.options.lifecycle.emailVerifyUrl, { token, email, lang: locale });
  }

  private validFor(expiresAt: Date, locale: Locale): string {
    return describeDuration((expiresAt.getTime() - this.options.clock.now().getTime()) / 1000, locale);
  }

  private locale(stored: string): Locale {
    return resolveLocale(stored, this.options.lifecycle.defaultLocale);
  }

  private async deliver<Row>(job: Job<Row>): Promise<DeliveryOutcome> {
    const { logger } = this.options;
    const claim = await this.claims.claim(job.key);
    if (!claim) {
      logger.debug({ email: job.kind, ...job.ids }, 'email already sent or being sent by another delivery');
      return { status: 'already_sent' };
    }
    let sent = false;
    try {
      const row = await job.load();
      if (row === undefined) return this.notSent(job, { status: 'skipped', reason: job.missing });
      const verdict = job.check(row);
      if (verdict) return this.notSent(job, verdict);
      const email = job.compose(row);
      // Counted last, so only emails that would really go out use up the domain's allowance. Not
      // sent, the claim is released: a redelivery by hand after the hour sends it.
      if (!(await this.options.limits.emailTo(email.to))) return this.notSent(job, { status: 'skipped', reason: 'domain_limit' });
      const { messageId } = await this.claims
        .holding(
          claim,
          () => this.options.mailer.send(email),
          (error) => logger.warn({ err: error, email: job.kind, ...job.ids }, 'could not renew the email claim while sending'),
        )
        .catch((error: unknown) => {
          this.options.metrics.emailFailed(job.kind);
          throw error;
        });
      sent = true;
      this.options.metrics.emailSent(job.kind);
      await this.markSent(job, row, claim);
      logger.info({ email: job.kind, ...job.ids, messageId }, 'email sent');
      return { status: 'sent', messageId };
    } finally {
      if (!sent) {
        // A failed release only delays the next attempt until the lease runs out.
        await this.claims.release(claim).catch((error: unknown) => logger.warn({ err: error, key: job.key }, 'could not release an email claim'));
      }
    }
  }

  private notSent<Row>(job: Job<Row>, outcome: Unsent): Unsent {
    this.options.logger.info({ email: job.kind, ...job.ids, ...outcome }, 'email not sent');
    return outcome;
  }

  private async markSent<Row>(job: Job<Row>, row: Row, claim: Claim): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        // The flag and the claim's sent_at together, or neither.
        await this.options.db.prisma.$transaction([this.claims.markSent(claim), job.markSent(row)]);
        return;
      } catch (error) {
        const delay = MARK_RETRY_DELAYS_MS[attempt];
        // Out of retries: the claim stays held until its lease runs out, then a redelivery may
        // send the email a second time. Nothing better is possible once the server has it.
        if (delay === undefined) throw error;
        this.options.logger.warn({ err: error, email: job.kind, ...job.ids }, 'could not record a sent email; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private messageId(local: string): string | undefined {
    return this.domain ? `${local}@${this.domain}` : undefined;
  }
}

/**
 * "1 hour", "45 minutes", "2 hours and 30 minutes", "3 days": how long a link still works, in the
 * recipient's language (Intl's unit names: "2 horas y 30 minutos", "1 Stunde").
 */
export function describeDuration(seconds: number, locale: Locale = 'en'): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  const unit = (n: number, name: 'minute' | 'hour' | 'day') => new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'long' }).format(n);
  if (minutes < 60) return unit(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours >= 48 && rest === 0 && hours % 24 === 0) return unit(hours / 24, 'day');
  return rest ? new Intl.ListFormat(locale, { type: 'conjunction' }).format([unit(hours, 'hour'), unit(rest, 'minute')]) : unit(hours, 'hour');
}
