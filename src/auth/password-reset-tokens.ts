// Password-reset tokens that are never stored. A token is an HMAC of its request row's id and
// user under a server key: the row (which Hasura's event trigger copies into its event log)
// holds nothing usable, yet the email webhook can derive the token from the row when it sends
// the link. Expiry and single use live in the row (expires_at, used_at).
import { createHmac, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';

export interface ResetRequestRef {
  id: string;
  userId: number;
}

/** 256 bits, base64url: 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class ResetTokens {
  private readonly key: Buffer;

  /** `secret`: the JWT key; a separate key is derived from it so the two uses never mix. */
  constructor(secret: KeyObject) {
    this.key = Buffer.from(hkdfSync('sha256', secret.export(), Buffer.alloc(0), 'hasura-auth/password-reset-token/v1', 32));
  }

  tokenFor(request: ResetRequestRef): string {
    return createHmac('sha256', this.key).update(`${request.id}:${request.userId}`).digest('base64url');
  }

  /** Whether a string has a token's shape; anything else cannot match any request. */
  wellFormed(token: string): boolean {
    return TOKEN.test(token);
  }

  /** Constant-time comparison of a presented token with the one the request derives. */
  matches(token: string, request: ResetRequestRef): boolean {
    if (!this.wellFormed(token)) return false;
    return timingSafeEqual(Buffer.from(token), Buffer.from(this.tokenFor(request)));
  }
}
