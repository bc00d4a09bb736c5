// TOTP as a second factor: set up (secret, otpauth:// URL, QR code), turn on with a first code
// (which hands out the recovery codes), turn off with a code, and check a code at sign-in.
//
// The secret is stored sealed (SealedSecrets); recovery codes as keyed hashes. Every code check
// is rate limited per account and uses the code up in one conditional UPDATE, so two requests
// racing with one code cannot both pass.
import { ForbiddenError, InvalidCodeError, InvalidInputError } from '../auth/errors';
import type { RateLimits } from '../auth/rate-limits';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { RecoveryCodes } from './recovery-codes';
import type { SealedSecrets } from './sealed-secrets';
import { checkTotp, newTotpSecret, totpUrl } from './totp';

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
  /** The otpauth URL as an SVG QR code, to put in a page as it is. */
  qrSvg: string;
}

/**
 * Whether the user whose id is `userId` (an SQL expression) has a second factor on, as isEnabled
 * says: for a statement that reads it with the account (the password login's).
 */
export function secondFactorSql(userId: string): string {
  return `EXISTS (SELECT 1 FROM user_totp WHERE user_id = ${userId} AND enabled_at IS NOT NULL)`;
}

/** At most this many characters of a code are looked at; codes are 6 (TOTP) or 11 (recovery). */
const MAX_CODE_LENGTH = 32;

export class TotpFactor {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly limits: RateLimits;
  private readonly secrets: SealedSecrets;
  private readonly recovery: RecoveryCodes;
  private readonly issuer: string;

  constructor(deps: { db: Database; clock: Clock; limits: RateLimits; secrets: SealedSecrets; recoveryCodes: RecoveryCodes; issuer: string }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.limits = deps.limits;
    this.secrets = deps.secrets;
    this.recovery = deps.recoveryCodes;
    this.issuer = deps.issuer;
  }

  /**
   * A new secret for the user, waiting for its first code (enable). Calling it again replaces a
   * setup not yet enabled; with TOTP on it is refused (FORBIDDEN), so an access token alone can
   * never swap the authenticator.
   */
  async setup(userId: number): Promise<TotpSetup> {
    const user = await this.db.prisma.user.findUnique({ where: { id: userId }, select: { username: true, totp: { select: { enabledAt: true } } } });
    if (!user) throw new ForbiddenError('The account no longer exists.');
    if (user.totp?.enabledAt) throw new ForbiddenError('Two-step sign-in is already on; turn it off first to set up another authenticator.');
    const secret = await newTotpSecret();
    const sealed = this.seal(userId, secret);
    const now = this.clock.now();
    await this.db.prisma.userTotp.upsert({
      where: { userId },
      create: { userId, secret: sealed, createdAt: now },
      update: { secret: sealed, createdAt: now, lastStep: null },
    });
    const otpauthUrl = await totpUrl({ issuer: this.issuer, account: user.username, secret });
    // Loaded on the first set-up: a QR encoder has no other use here.
    const { default: QRCode } = await import('qrcode');
    const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUrl, qrSvg };
  }

  /** Turns TOTP on with a first code from the app; returns the ten recovery codes, shown only now. */
  async enable(userId: number, code: string): Promise<string[]> {
    checkCodeInput(code);
    const totp = await this.db.prisma.userTotp.findUnique({ where: { userId } });
    if (!totp) throw new ForbiddenError('Set up an authenticator first (user_mfa_totp_setup).');
    if (totp.enabledAt) throw new ForbiddenError('Two-step sign-in is already on.');
    await this.limits.mfaAttempt(userId);
    const step = await checkTotp({ secret: this.open(userId, totp.secret), code, now: this.clock.now() });
    if (step === undefined) throw new InvalidCodeError();

    const { codes, hashes } = this.recovery.generate();
    const now = this.clock.now();
    // One transaction: the switch and the codes stand or fall together. The conditional UPDATE
    // lets only one of two racing enables through.
    const enabled = await this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.userTotp.updateMany({ where: { userId, enabledAt: null }, data: { enabledAt: now, lastStep: step } });
      if (count !== 1) return false;
      await tx.mfaRecoveryCode.deleteMany({ where: { userId } });
      await tx.mfaRecoveryCode.createMany({ data: hashes.map((codeHash) => ({ codeHash, userId, createdAt: now })) });
      return true;
    });
    if (!enabled) throw new ForbiddenError('Two-step sign-in is already on.');
    await this.limits.mfaSucceeded(userId);
    return codes;
  }

  /** Turns TOTP off with a current code or a recovery code; the recovery codes go too. */
  async disable(userId: number, code: string): Promise<void> {
    checkCodeInput(code);
    if (!(await this.isEnabled(userId))) throw new ForbiddenError('Two-step sign-in is not on.');
    await this.verify(userId, code);
    await this.db.prisma.$transaction([
      this.db.prisma.mfaRecoveryCode.deleteMany({ where: { userId } }),
      this.db.prisma.userTotp.deleteMany({ where: { userId } }),
      this.db.prisma.mfaTicket.deleteMany({ where: { userId } }),
    ]);
  }

  async isEnabled(userId: number): Promise<boolean> {
    const totp = await this.db.prisma.userTotp.findUnique({ where: { userId }, select: { enabledAt: true } });
    return Boolean(totp?.enabledAt);
  }

  /**
   * Checks and uses up a second-factor code: a TOTP code (each time step once) or a recovery code
   * (each once). Rate limited per account; INVALID_TOKEN when wrong or used.
   */
  async verify(userId: number, code: string): Promise<void> {
    checkCodeInput(code);
    await this.limits.mfaAttempt(userId);
    const used = RecoveryCodes.looksLikeOne(code) ? await this.useRecoveryCode(userId, code) : await this.useTotpCode(userId, code);
    if (!used) throw new InvalidCodeError();
    await this.limits.mfaSucceeded(userId);
  }

  private async useTotpCode(userId: number, code: string): Promise<boolean> {
    const totp = await this.db.prisma.userTotp.findUnique({ where: { userId } });
    if (!totp?.enabledAt) return false;
    const afterStep = totp.lastStep === null ? undefined : Number(totp.lastStep);
    const step = await checkTotp({ secret: this.open(userId, totp.secret), code, now: this.clock.now(), afterStep });
    if (step === undefined) return false;
    // Replay guard: only a step later than the last accepted one moves it, atomically.
    const { count } = await this.db.prisma.userTotp.updateMany({
      where: { userId, enabledAt: { not: null }, OR: [{ lastStep: null }, { lastStep: { lt: step } }] },
      data: { lastStep: step },
    });
    return count === 1;
  }

  private async useRecoveryCode(userId: number, code: string): Promise<boolean> {
    const codeHash = this.recovery.hash(code);
    if (!codeHash) return false;
    const { count } = await this.db.prisma.mfaRecoveryCode.updateMany({
      where: { codeHash, userId, usedAt: null },
      data: { usedAt: this.clock.now() },
    });
    return count === 1;
  }

  private seal(userId: number, secret: string): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.secrets.seal(Buffer.from(secret, 'utf8'), `totp:${userId}`));
  }

  private open(userId: number, sealed: Uint8Array): string {
    return this.secrets.open(Buffer.from(sealed), `totp:${userId}`).toString('utf8');
  }
}

function checkCodeInput(code: string): void {
  if (!code.trim()) throw new InvalidInputError({ code: ['This field may not be blank.'] });
  if (code.length > MAX_CODE_LENGTH) throw new InvalidCodeError();
}
