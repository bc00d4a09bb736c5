// RFC 6238 TOTP written out from the RFC, independent of the library the service uses, so the
// tests compute codes the way any authenticator app would (and check the service against that).
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (no padding needed), as otpauth:// secrets are written. */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.toUpperCase().replace(/=+$/, '')) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** RFC 4226 HOTP with SHA-1 and dynamic truncation. */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238: T = floor(unix seconds / 30). */
export function totp(key: Buffer, at: Date, digits = 6): string {
  return hotp(key, Math.floor(at.getTime() / 1000 / 30), digits);
}

/** The code a user's app shows at `at`, `steps` 30-second steps away. */
export function totpFor(secret: string, at: Date, steps = 0): string {
  return totp(base32Decode(secret), new Date(at.getTime() + steps * 30_000));
}
