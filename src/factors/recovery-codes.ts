// Recovery codes: ten single-use codes shown once when TOTP is turned on, for the day the phone is
// lost. Each has 50 random bits and is kept only as an HMAC under a key derived from AUTH_SECRET:
// a leaked table cannot be turned back into codes, even by trying every possible one.
import { createHmac, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32 alphabet: no I, L, O or U, so a code read off paper cannot be mistyped into
// another valid-looking one.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 10;

/** "ABCDE-FGHJK": how a code is shown. */
const SHAPE = /^[0-9A-HJKMNP-TV-Z]{10}$/;

export class RecoveryCodes {
  constructor(private readonly key: Buffer) {}

  /** New codes as shown to the user, and the hashes to store. */
  generate(): { codes: string[]; hashes: string[] } {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      let code = '';
      for (let i = 0; i < CODE_CHARS; i++) code += ALPHABET[randomInt(ALPHABET.length)];
      return `${code.slice(0, 5)}-${code.slice(5)}`;
    });
    return { codes, hashes: codes.map((code) => this.hash(code)!) };
  }

  /**
   * The stored form of a code as typed: any letter case, with or without the dash or spaces, and
   * the letters people confuse with digits read as those digits. `undefined`: cannot be a code.
   */
  hash(typed: string): string | undefined {
    const normal = typed
      .toUpperCase()
      .replace(/[\s-]/g, '')
      .replace(/O/g, '0')
      .replace(/[IL]/g, '1');
    if (!SHAPE.test(normal)) return undefined;
    return createHmac('sha256', this.key).update(normal).digest('base64url');
  }

  /** Whether text looks like a recovery code rather than a six-digit TOTP code. */
  static looksLikeOne(typed: string): boolean {
    return typed.replace(/[\s-]/g, '').length === CODE_CHARS;
  }
}
