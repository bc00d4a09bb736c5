// The password policy, applied on register, change and reset: each rule on its own, then every
// broken rule at once through the GraphQL operation that a user sees.
import {
  loadCommonPasswords,
  MAX_PASSWORD_BYTES,
  PASSWORD_MESSAGES,
  PasswordPolicy,
  quickRatio,
} from '../../src/auth/password-policy';
import { RegisterDocument } from '../generated/graphql';
import { startTestService } from '../support/service';
import { setupTestService } from '../support/setup';

const policy = new PasswordPolicy(8);
const check = (password: string, context = {}) => policy.check(password, context);

describe('each rule on its own', () => {
  it('accepts a reasonable password with no reasons', async () => {
    expect(await check('correct horse battery', { username: 'alice', email: 'alice@example.com' })).toEqual([]);
  });

  it('refuses a password shorter than PASSWORD_MIN_LENGTH, counting characters, not bytes', async () => {
    expect(await check('xk9#qv2')).toEqual([PASSWORD_MESSAGES.tooShort(8)]);
    expect(await check('xk9#qv2m')).toEqual([]);
    // Eight characters of three bytes each: long enough.
    expect(await check('ÿ€€€€€€€')).toEqual([]);
    expect(await new PasswordPolicy(12).check('xk9#qv2mzz1')).toEqual([PASSWORD_MESSAGES.tooShort(12)]);
  });

  it('accepts 72 bytes of multi-byte characters and refuses 73, never truncating', async () => {
    const euro = '€'; // 3 bytes in UTF-8
    const seventyTwo = euro.repeat(24);
    expect(Buffer.byteLength(seventyTwo)).toBe(MAX_PASSWORD_BYTES);
    expect(await check(seventyTwo)).toEqual([]);
    const seventyThree = seventyTwo + 'x';
    expect(Buffer.byteLength(seventyThree)).toBe(73);
    expect(await check(seventyThree)).toEqual([PASSWORD_MESSAGES.tooLong]);
    // Emoji are 4 bytes and 2 UTF-16 units: 18 of them are exactly 72 bytes.
    expect(await check('🔑'.repeat(18))).toEqual([]);
    expect(await check('🔑'.repeat(18) + 'a')).toEqual([PASSWORD_MESSAGES.tooLong]);
  });

  it('refuses an entirely numeric password, in any script of digits', async () => {
    expect(await check('90417263')).toEqual([PASSWORD_MESSAGES.numeric]);
    expect(await check('٩٠٤١٧٢٦٣')).toEqual([PASSWORD_MESSAGES.numeric]); // Arabic-Indic digits
    expect(await check('9041726x')).toEqual([]);
  });

  it('refuses a common password, whatever its letter case and surrounding spaces', async () => {
    expect(await check('sunshine')).toEqual([PASSWORD_MESSAGES.common]);
    expect(await check('SunShine')).toEqual([PASSWORD_MESSAGES.common]);
    expect(await check(' iloveyou ')).toEqual([PASSWORD_MESSAGES.common]);
    expect(await check('password1')).toEqual([PASSWORD_MESSAGES.common]);
  });

  it('uses a maintained list of at least 10,000 passwords', async () => {
    const list = await loadCommonPasswords();
    expect(list.size).toBeGreaterThanOrEqual(10_000);
    expect(await loadCommonPasswords()).toBe(list); // loaded once
  });

  it('refuses a password too similar to the username (Django quick_ratio ≥ 0.7)', async () => {
    expect(await check('thaddeus1', { username: 'thaddeus' })).toEqual([PASSWORD_MESSAGES.similarToUsername]);
    // quick_ratio compares letters, not order: the username reversed is as similar.
    expect(await check('suedddaht', { username: 'thaddeus' })).toEqual([PASSWORD_MESSAGES.similarToUsername]);
    // Parts of the username count on their own.
    expect(await check('kowalskiX', { username: 'anna.kowalski' })).toEqual([PASSWORD_MESSAGES.similarToUsername]);
    expect(await check('river glass tomato', { username: 'thaddeus' })).toEqual([]);
  });

  it('refuses a password that is the username plus a short suffix', async () => {
    expect(await check('zed12345', { username: 'zed' })).toEqual([PASSWORD_MESSAGES.similarToUsername]);
    expect(await check('carolina2024', { username: 'carolina' })).toEqual([PASSWORD_MESSAGES.similarToUsername]);
    // The username inside a password that is long enough without it is fine.
    expect(await check('zed likes long walks', { username: 'zed' })).toEqual([]);
  });

  it("refuses a password too similar to the email, its local part or its parts", async () => {
    const email = 'margaret.hamilton@example.org';
    expect(await check('hamilton7', { email })).toEqual([PASSWORD_MESSAGES.similarToEmail]);
    expect(await check('margaret.hamilton', { email })).toEqual([PASSWORD_MESSAGES.similarToEmail]);
    expect(await check('examples!', { email })).toEqual([PASSWORD_MESSAGES.similarToEmail]);
    expect(await check('apollo guidance computer', { email })).toEqual([]);
  });

  it('refuses NUL bytes and lone surrogates, which bcrypt and UTF-8 cannot take as typed', async () => {
    expect(await check('abc\u0000defghij')).toEqual([PASSWORD_MESSAGES.unsafe]);
    expect(await check('abcdefgh\ud800')).toEqual([PASSWORD_MESSAGES.unsafe]);
  });
});

describe('similarity measure', () => {
  it("matches Python difflib's quick_ratio", () => {
    // Values computed with difflib.SequenceMatcher(a=…, b=…).quick_ratio().
    expect(quickRatio('password', 'example')).toBeCloseTo(4 / 15, 10);
    expect(quickRatio('jonathan1', 'jonathan')).toBeCloseTo(16 / 17, 10);
    expect(quickRatio('abc', 'xyz')).toBe(0);
    expect(quickRatio('', '')).toBe(1);
  });
});

describe('every broken rule is listed', () => {
  it('lists every reason at once', async () => {
    // Short, numeric, common and the username itself.
    expect(await check('123456', { username: '123456', email: 'x@example.com' })).toEqual([
      PASSWORD_MESSAGES.tooShort(8),
      PASSWORD_MESSAGES.numeric,
      PASSWORD_MESSAGES.common,
      PASSWORD_MESSAGES.similarToUsername,
    ]);
  });

  describe('through user_register', () => {
    const t = setupTestService();

    it('answers BAD_USER_INPUT with every reason under fields.password, and stores nothing', async () => {
      const res = await t.service.request(RegisterDocument, { arg: { username: 'qwerty', email: 'qwerty@example.com', password: 'qwerty' } });
      expect(res.errors?.[0]?.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        fields: {
          password: [
            PASSWORD_MESSAGES.tooShort(8),
            PASSWORD_MESSAGES.common,
            PASSWORD_MESSAGES.similarToUsername,
            PASSWORD_MESSAGES.similarToEmail,
          ],
        },
      });
      expect(await t.service.services.db.prisma.user.count()).toBe(0);
    });

    it('follows PASSWORD_MIN_LENGTH', async () => {
      const strict = await startTestService(t.db, { env: { PASSWORD_MIN_LENGTH: '20' } });
      try {
        const res = await strict.request(RegisterDocument, { arg: { username: 'quinn', email: 'quinn@example.com', password: 'nineteen characters' } });
        expect(res.errors?.[0]?.extensions?.fields).toEqual({ password: [PASSWORD_MESSAGES.tooShort(20)] });
      } finally {
        await strict.stop();
      }
    });
  });
});
