// What a username may be, and how a login text is normalised. One place, because the rule is
// enforced four times: registration, ADMIN_USERNAME at start-up, the database's CHECK constraint
// (users_username_format, which also covers renames through Hasura) and the login lookup.
//
// Usernames are ASCII letters, digits and . _ + - (Django's rule without `@` and without
// non-ASCII letters):
// - no `@`: a username can never be someone else's email address, so a login text names at most
//   one account, and whether it is read as an email or a username is decided by the text alone;
// - ASCII only: look-alikes (fullwidth `ａｄｍｉｎ`, Cyrillic `аdmin`) cannot be registered, and
//   letter case has one meaning in JavaScript and in PostgreSQL's citext (no `İ`/`ß` surprises).
import { z } from 'zod';

export const MAX_USERNAME_LENGTH = 150;

/** Kept identical to the CHECK constraint in the users_username_format migration. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.+-]+$/;

export const USERNAME_MESSAGES = {
  blank: 'This field may not be blank.',
  tooLong: `Ensure this field has no more than ${MAX_USERNAME_LENGTH} characters.`,
  format: 'Enter a valid username: ASCII letters, digits and . + - _ only (no @).',
} as const;

export const username = z
  .string()
  .min(1, USERNAME_MESSAGES.blank)
  .max(MAX_USERNAME_LENGTH, USERNAME_MESSAGES.tooLong)
  .regex(USERNAME_PATTERN, USERNAME_MESSAGES.format);

/** Printable ASCII without spaces: every username and every email the service accepts is this. */
const ACCOUNT_TEXT = /^[\x21-\x7e]+$/;

/**
 * A login text as the database compares it. Usernames and emails are ASCII, which citext compares
 * by ASCII lower case; text with anything else in it can name no account.
 */
export function normaliseLogin(login: string): { text: string; canMatch: boolean } {
  const canMatch = ACCOUNT_TEXT.test(login);
  // Only A–Z are folded: JavaScript's Unicode lower-casing of other letters (İ → i̇) is not the
  // database's, and such text cannot match anyway.
  return { text: login.replace(/[A-Z]/g, (c) => c.toLowerCase()), canMatch };
}

/** Whether a login text is read as an email (it has an `@`, which no username has). */
export function isEmailLogin(login: string): boolean {
  return login.includes('@');
}
