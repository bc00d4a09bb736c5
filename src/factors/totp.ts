// TOTP as RFC 6238 and every authenticator app has it: SHA-1, six digits, 30-second steps, a
// 160-bit secret. otplib does the algorithm; this module fixes the parameters and the rules around
// them: a code is accepted one step early or late (clock drift, typing time), never further, and
// never for a step at or before the last one accepted, so an overheard code cannot be replayed.
import { onFirstUse } from '../first-use';

/** otplib, loaded with the first TOTP set-up or code: most accounts never turn two-step sign-in on. */
const otplib = onFirstUse(() => import('otplib'));

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;

const CODE = /^\d{6}$/;

export interface TotpCheck {
  /** The base32 secret. */
  secret: string;
  /** What the user typed; spaces are ignored ("123 456"). */
  code: string;
  now: Date;
  /** The last step a code was accepted for; codes for it and earlier steps are refused. */
  afterStep?: number;
}

export async function newTotpSecret(): Promise<string> {
  const { generateSecret } = await otplib();
  return generateSecret({ length: 20 });
}

/** The otpauth:// URL authenticator apps read from the QR code. */
export async function totpUrl(options: { issuer: string; account: string; secret: string }): Promise<string> {
  const { generateURI } = await otplib();
  return generateURI({ issuer: options.issuer, label: options.account, secret: options.secret, period: TOTP_PERIOD, digits: TOTP_DIGITS });
}

/** The time step of an accepted code, or `undefined`. */
export async function checkTotp(check: TotpCheck): Promise<number | undefined> {
  const token = check.code.replace(/\s/g, '');
  if (!CODE.test(token)) return undefined;
  const { verify } = await otplib();
  const result = await verify({
    secret: check.secret,
    token,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
    epoch: Math.floor(check.now.getTime() / 1000),
    // Seconds either side of now: the steps this window touches are the current one and one each side.
    epochTolerance: TOTP_PERIOD,
    ...(check.afterStep === undefined ? {} : { afterTimeStep: check.afterStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}
