// Every key the service derives comes from ONE server secret, AUTH_SECRET, through HKDF with one
// label per use: reset, verification and sign-in link tokens, the encryption of TOTP secrets and
// private signing keys, rate-limit key HMACs. Uses never share a key, so a key leaked for one use
// says nothing of another, and nothing derived depends on the JWT signing key — which can then
// rotate (or become asymmetric) without breaking a single emailed link.
import { hkdfSync } from 'node:crypto';

/** The uses keys are derived for; a label is never reused for another purpose. */
export type KeyPurpose =
  | 'password-reset-token'
  | 'email-verification-token'
  | 'email-change-token'
  | 'signin-email-token'
  | 'totp-secret'
  | 'signing-key'
  | 'oauth-state'
  | 'rate-limit-key'
  | (string & {});

/** Shorter secrets are refused: HKDF cannot add entropy the secret does not have. */
export const MIN_AUTH_SECRET_LENGTH = 32;

const KEY_BYTES = 32;

export class DerivedKeys {
  private readonly secret: Buffer;
  private readonly cache = new Map<string, Buffer>();

  constructor(secret: string) {
    if (secret.length < MIN_AUTH_SECRET_LENGTH) throw new Error(`AUTH_SECRET must be at least ${MIN_AUTH_SECRET_LENGTH} characters`);
    this.secret = Buffer.from(secret, 'utf8');
  }

  /** 32 bytes for one use: HKDF-SHA256(AUTH_SECRET, info "hasura-auth/<purpose>/v1"). */
  key(purpose: KeyPurpose): Buffer {
    let key = this.cache.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret, Buffer.alloc(0), `hasura-auth/${purpose}/v1`, KEY_BYTES));
      this.cache.set(purpose, key);
    }
    return key;
  }
}
