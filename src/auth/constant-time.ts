// Comparing a presented secret (a webhook secret, a bearer token, a derived token) with the
// expected one without the time taken telling an attacker how much of it was right.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time equality of two strings of any lengths: their SHA-256 digests are compared. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
