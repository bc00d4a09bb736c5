// Secrets the service must read back (TOTP keys), sealed with AES-256-GCM under a key derived from
// AUTH_SECRET: a copy of the table (a backup, a replica, a leaked dump) holds nothing usable.
// The row's owner is bound in as associated data, so a sealed secret copied onto another user's
// row does not open there.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealedSecrets {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SealedSecrets needs a 32-byte key');
  }

  /** version (1 byte) | IV (12) | ciphertext | GCM tag (16). */
  seal(plain: Buffer, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]);
  }

  /** Throws when the box was altered, sealed under another key or for another context. */
  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new Error('not a sealed secret');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  }
}
