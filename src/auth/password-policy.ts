// The password rules, applied on register, change and reset confirm. Every broken
// rule is reported at once, so a user fixes a password in one go. The rules and their messages
// are Django's validators (the original starter's), plus bcrypt's 72-byte limit.

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

/** Django's UserAttributeSimilarityValidator threshold for difflib's quick_ratio. */
export const MAX_SIMILARITY = 0.7;

/**
 * A username or email local part shorter than this is not looked for inside a password: a
 * two-letter name occurs inside too many ordinary words to say anything.
 */
const MIN_CONTAINED_LENGTH = 3;

export interface PasswordContext {
  username?: string;
  email?: string;
}

export const PASSWORD_MESSAGES = {
  unsafe: 'This password contains characters that are not allowed.',
  tooShort: (min: number) => `This password is too short. It must contain at least ${min} characters.`,
  tooLong: `This password is too long. It must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8.`,
  numeric: 'This password is entirely numeric.',
  common: 'This password is too common.',
  similarToUsername: 'The password is too similar to the username.',
  similarToEmail: 'The password is too similar to the email address.',
} as const;

/** Lower-cased common passwords; loaded on first use. */
export type CommonPasswords = () => Promise<ReadonlySet<string>>;

export class PasswordPolicy {
  constructor(
    private readonly minLength: number,
    private readonly commonPasswords: CommonPasswords = loadCommonPasswords,
  ) {}

  /** Readable reasons the password is refused; empty when it is acceptable. */
  async check(password: string, context: PasswordContext = {}): Promise<string[]> {
    const reasons: string[] = [];
    // NUL ends bcrypt's input (everything after it would be ignored) and PostgreSQL refuses it;
    // a lone surrogate has no UTF-8 form, so the bytes hashed would not be the characters typed.
    if (password.includes('\u0000') || !password.isWellFormed()) reasons.push(PASSWORD_MESSAGES.unsafe);
    if ([...password].length < this.minLength) reasons.push(PASSWORD_MESSAGES.tooShort(this.minLength));
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) reasons.push(PASSWORD_MESSAGES.tooLong);
    if (/^\p{N}+$/u.test(password)) reasons.push(PASSWORD_MESSAGES.numeric);
    if ((await this.commonPasswords()).has(password.trim().toLowerCase())) reasons.push(PASSWORD_MESSAGES.common);
    if (context.username && similarToAttribute(password, context.username, context.username, this.minLength)) {
      reasons.push(PASSWORD_MESSAGES.similarToUsername);
    }
    if (context.email && similarToAttribute(password, context.email, localPart(context.email), this.minLength)) {
      reasons.push(PASSWORD_MESSAGES.similarToEmail);
    }
    return reasons;
  }
}

let common: Promise<ReadonlySet<string>> | undefined;

/**
 * The 49,233 most common passwords of zxcvbn-ts's maintained list (`passwords-common`), lower
 * case, as one Set. Imported on first use: the package decompresses its lists when loaded.
 */
export function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(
    ({ dictionary }) => new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())),
  );
  return common;
}

/**
 * Django's UserAttributeSimilarityValidator: the password is too similar when difflib's
 * quick_ratio against the attribute, or against any of its parts split on non-word characters,
 * reaches 0.7. Plus containment, which quick_ratio misses for short attributes: a password that
 * contains the attribute whole (`contained`: the username, the email's local part) and, without
 * it, would be shorter than the minimum length ("alice2024" for alice) owes its length to a
 * public name.
 */
export function similarToAttribute(password: string, value: string, contained: string, minLength: number): boolean {
  const pw = password.toLowerCase();
  const whole = value.toLowerCase();
  const parts = [...whole.split(/[^\p{L}\p{N}_]+/u), whole].filter(Boolean);
  for (const part of parts) {
    if (exceedsMaximumLengthRatio(pw, part)) continue;
    if (quickRatio(pw, part) >= MAX_SIMILARITY) return true;
  }
  const name = contained.toLowerCase();
  if ([...name].length >= MIN_CONTAINED_LENGTH && pw.includes(name)) {
    return [...pw.split(name).join('')].length < minLength;
  }
  return false;
}

/**
 * Django's shortcut: a password ten times longer than a short attribute cannot reach the
 * threshold, so the comparison is skipped (and a long passphrase is not refused for a short name).
 */
function exceedsMaximumLengthRatio(password: string, value: string): boolean {
  const passwordLength = [...password].length;
  const valueLength = [...value].length;
  return passwordLength >= 10 * valueLength && valueLength < (MAX_SIMILARITY / 2) * passwordLength;
}

/**
 * Python's difflib.SequenceMatcher.quick_ratio: 2·M / T, where M is the size of the multiset
 * intersection of the two strings' characters and T their total length. An upper bound on the
 * real similarity ratio, and the measure Django's validator uses.
 */
export function quickRatio(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  const total = left.length + right.length;
  if (total === 0) return 1;
  const available = new Map<string, number>();
  for (const ch of right) available.set(ch, (available.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of left) {
    const n = available.get(ch) ?? 0;
    if (n > 0) {
      matches += 1;
      available.set(ch, n - 1);
    }
  }
  return (2 * matches) / total;
}

function localPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? email.slice(0, at) : email;
}
