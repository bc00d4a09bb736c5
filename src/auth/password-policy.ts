// The password rules of contract §3, applied on register, change and reset. Every broken rule is
// reported, so a user fixes a password once.

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

export interface PasswordContext {
  username?: string;
  email?: string;
}

export class PasswordPolicy {
  constructor(private readonly minLength: number) {}

  /** Readable reasons the password is refused; empty when it is acceptable. */
  check(password: string, _context: PasswordContext = {}): string[] {
    const reasons: string[] = [];
    if ([...password].length < this.minLength) {
      reasons.push(`This password is too short. It must contain at least ${this.minLength} characters.`);
    }
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      reasons.push(`This password is too long. It must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8.`);
    }
    return reasons;
  }
}
