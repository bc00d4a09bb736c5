// One server secret, one key per use: what each derived key and row token may and may not do.
import { RowTokens } from '../../src/auth/row-tokens';
import { DerivedKeys } from '../../src/keys/derived-keys';

const SECRET = 'a-server-secret-that-is-long-enough-0123456789';

describe('derived keys', () => {
  it('derive the same key for the same use from the same secret, across instances', () => {
    expect(new DerivedKeys(SECRET).key('password-reset-token').equals(new DerivedKeys(SECRET).key('password-reset-token'))).toBe(true);
  });

  it('derive a different key for every use and for every secret', () => {
    const keys = new DerivedKeys(SECRET);
    const other = new DerivedKeys(`${SECRET}!`);
    expect(keys.key('password-reset-token').equals(keys.key('email-verification-token'))).toBe(false);
    expect(keys.key('password-reset-token').equals(other.key('password-reset-token'))).toBe(false);
    expect(keys.key('totp-secret')).toHaveLength(32);
  });

  it('refuse a secret shorter than 32 characters', () => {
    expect(() => new DerivedKeys('x'.repeat(31))).toThrow(/at least 32/);
  });
});

describe('row tokens', () => {
  const keys = new DerivedKeys(SECRET);
  const reset = new RowTokens(keys.key('password-reset-token'));
  const verify = new RowTokens(keys.key('email-verification-token'));
  const row = { id: '7f1c2a4e-2b1e-4c3d-9a57-1f0e8d6c5b4a', userId: 42 };

  it('derive a 256-bit token from a row that matches only that row', () => {
    const token = reset.tokenFor(row);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(reset.matches(token, row)).toBe(true);
    expect(reset.matches(token, { ...row, userId: 43 })).toBe(false);
    expect(reset.matches(token, { ...row, id: '7f1c2a4e-2b1e-4c3d-9a57-1f0e8d6c5b4b' })).toBe(false);
  });

  it('never accept one kind of row token for another kind of row', () => {
    expect(verify.matches(reset.tokenFor(row), row)).toBe(false);
  });

  it('refuse anything that is not shaped like a token, without comparing', () => {
    expect(reset.matches('', row)).toBe(false);
    expect(reset.matches(`${reset.tokenFor(row)}x`, row)).toBe(false);
  });
});
