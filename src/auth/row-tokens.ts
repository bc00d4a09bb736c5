// Tokens that are never stored: a token is an HMAC of its request row's id and user under a key
// derived for that kind of row (password reset, email verification, …). The row — which Hasura's
// event trigger copies into its event log — holds nothing usable, yet the email webhook can
// derive the token from the row when it sends the link. Expiry and single use live in the row.
import { createHmac } from 'node:crypto';
import { sameSecret } from './constant-time';

export interface RowRef {
  id: string;
  userId: number;
}

/** 256 bits, base64url: 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class RowTokens {
  /** `key`: derived for this kind of row only (DerivedKeys), so one kind's token never fits another's row. */
  constructor(private readonly key: Buffer) {}

  tokenFor(row: RowRef): string {
    return createHmac('sha256', this.key).update(`${row.id}:${row.userId}`).digest('base64url');
  }

  /** Whether a string has a token's shape; anything else cannot match any row. */
  wellFormed(token: string): boolean {
    return TOKEN.test(token);
  }

  /** Constant-time comparison of a presented token with the one the row derives. */
  matches(token: string, row: RowRef): boolean {
    if (!this.wellFormed(token)) return false;
    return sameSecret(token, this.tokenFor(row));
  }
}
