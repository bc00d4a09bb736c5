// Email verification: the welcome email carries the link (one email at sign-up), the link works
// once, for its address, before it expires; access tokens say whether the address is verified; with
// EMAIL_VERIFICATION=required nothing signs in before it, and only the right password learns why.
import {
  EmailVerificationResendDocument,
  EmailVerifyDocument,
  LoginDocument,
  RefreshDocument,
  RegisterDocument,
} from '../generated/graphql';
import { allStoredValues } from '../support/dump';
import { hasuraClaims, linkIn, linkParams } from '../support/links';
import { codeOf, TestClock } from '../support/service';
import { setupTestService, type TestInstance } from '../support/setup';

const VERIFY_URL = 'https://app.example.com/verify-email';

/** Registers through GraphQL and delivers the welcome event; answers the user and the link it carried. */
async function registerAndWelcome(t: TestInstance, username: string, extra: { locale?: string } = {}) {
  const res = await t.service.request(RegisterDocument, {
    arg: { username, email: `${username}@example.com`, password: 'a long enough password', ...extra },
  });
  expect(res.errors).toBeUndefined();
  const user = res.data!.user_register;
  const before = t.mailbox.received.length;
  const delivered = await t.events.deliver('user_registered', await t.events.forRow('user_registered', user.id));
  expect(delivered.body?.status).toBe('sent');
  const mails = await t.mailbox.waitFor(before + 1);
  return { user, mail: mails[before]! };
}

describe('EMAIL_VERIFICATION=optional (the default)', () => {
  const clock = new TestClock();
  const t = setupTestService({ mailbox: true, clock, env: { EMAIL_VERIFY_URL: VERIFY_URL } });

  it('sends one email at sign-up, whose link verifies the address once; the claim flips at the next token', async () => {
    const { user, mail } = await registerAndWelcome(t, 'verona');
    expect(mail.subject).toBe('Welcome to Hasura Auth');
    // The verification row's own event is not a second email.
    const row = await t.service.services.db.prisma.emailVerificationRequest.findFirstOrThrow({ where: { userId: user.id } });
    expect((await t.events.deliver('email_verification_requested', await t.events.forRow('email_verification_requested', row.id))).body).toEqual({
      status: 'skipped',
    });

    const tokens = user.tokens as { access: string; refresh: string };
    expect(hasuraClaims(tokens.access)['x-hasura-user-email-verified']).toBe('false');

    const link = linkIn(mail, VERIFY_URL);
    expect(link.searchParams.get('lang')).toBe('en');
    const params = linkParams(link);
    expect(params.email).toBe('verona@example.com');
    const verified = await t.service.request(EmailVerifyDocument, { arg: params });
    expect(verified.errors).toBeUndefined();
    expect(verified.data!.user_email_verify).toEqual({ status: 'OK' });

    // Used: refused the second time.
    expect(codeOf(await t.service.request(EmailVerifyDocument, { arg: params }))).toBe('INVALID_TOKEN');

    const refreshed = await t.service.request(RefreshDocument, { arg: { refresh: tokens.refresh } });
    expect(hasuraClaims(refreshed.data!.user_refresh.access)['x-hasura-user-email-verified']).toBe('true');
    const login = await t.service.request(LoginDocument, { arg: { username: 'verona', password: 'a long enough password' } });
    expect(hasuraClaims(login.data!.user_login.access)['x-hasura-user-email-verified']).toBe('true');
  });

  it('refuses an expired link, a link for another address and a forged token with INVALID_TOKEN', async () => {
    const { mail } = await registerAndWelcome(t, 'late');
    const params = linkParams(linkIn(mail, VERIFY_URL));
    await registerAndWelcome(t, 'other');

    expect(codeOf(await t.service.request(EmailVerifyDocument, { arg: { ...params, email: 'other@example.com' } }))).toBe('INVALID_TOKEN');
    expect(codeOf(await t.service.request(EmailVerifyDocument, { arg: { ...params, token: 'A'.repeat(43) } }))).toBe('INVALID_TOKEN');
    expect(codeOf(await t.service.request(EmailVerifyDocument, { arg: { ...params, token: 'not a token' } }))).toBe('INVALID_TOKEN');

    clock.advance(24 * 3600 + 1);
    expect(codeOf(await t.service.request(EmailVerifyDocument, { arg: params }))).toBe('INVALID_TOKEN');
    const user = await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { username: 'late' } });
    expect(user.emailVerifiedAt).toBeNull();
  });

  it('stores no usable token: no stored value holds the emailed token', async () => {
    const { mail } = await registerAndWelcome(t, 'scanned');
    const { token } = linkParams(linkIn(mail, VERIFY_URL));
    const values = await allStoredValues(t.service.services.db.pool);
    expect(values.filter((v) => v.value.includes(token))).toEqual([]);
  });

  it('resends a link to an unverified address, answering the same for any address', async () => {
    const { user } = await registerAndWelcome(t, 'resender');
    // At most one link a minute per user: the welcome email's is a minute old.
    clock.advance(61);
    for (const email of ['resender@example.com', 'nobody-here@example.com']) {
      const res = await t.service.request(EmailVerificationResendDocument, { arg: { email } });
      expect(res.errors).toBeUndefined();
      expect(res.data!.user_email_verification_resend).toEqual({ status: 'OK' });
    }
    expect(codeOf(await t.service.request(EmailVerificationResendDocument, { arg: { email: 'not an email' } }))).toBe('BAD_USER_INPUT');

    const rows = await t.service.services.db.prisma.emailVerificationRequest.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((r) => [r.withWelcome, r.usedAt === null])).toEqual([
      [true, false],
      [false, true],
    ]);
    const before = t.mailbox.received.length;
    const res = await t.events.deliver('email_verification_requested', await t.events.forRow('email_verification_requested', rows[1]!.id));
    expect(res.body?.status).toBe('sent');
    const mail = (await t.mailbox.waitFor(before + 1))[before]!;
    expect(mail.subject).toBe('Confirm your email address for Hasura Auth');
    expect((await t.service.request(EmailVerifyDocument, { arg: linkParams(linkIn(mail, VERIFY_URL)) })).errors).toBeUndefined();

    // Verified: a resend records nothing more.
    await t.service.request(EmailVerificationResendDocument, { arg: { email: 'resender@example.com' } });
    expect(await t.service.services.db.prisma.emailVerificationRequest.count({ where: { userId: user.id } })).toBe(2);
  });

  it('writes the welcome email in the language given at sign-up', async () => {
    const { mail } = await registerAndWelcome(t, 'hola', { locale: 'es-MX' });
    expect(mail.subject).toBe('Te damos la bienvenida a Hasura Auth');
    expect(mail.text).toContain('válido durante 24 horas');
    expect(linkIn(mail, VERIFY_URL).searchParams.get('lang')).toBe('es');
    const user = await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { username: 'hola' } });
    expect(user.locale).toBe('es');
  });
});

describe('EMAIL_VERIFICATION=required', () => {
  const t = setupTestService({ mailbox: true, env: { EMAIL_VERIFICATION: 'required', EMAIL_VERIFY_URL: VERIFY_URL } });

  it('signs nobody in before the address is verified, and tells only the right password why', async () => {
    const { user, mail } = await registerAndWelcome(t, 'strict');
    expect(user.tokens).toBeNull();
    expect(await t.service.services.db.prisma.session.count({ where: { userId: user.id } })).toBe(0);

    const wrong = await t.service.request(LoginDocument, { arg: { username: 'strict', password: 'not the password at all' } });
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    const right = await t.service.request(LoginDocument, { arg: { username: 'strict', password: 'a long enough password' } });
    expect(codeOf(right)).toBe('EMAIL_NOT_VERIFIED');

    expect((await t.service.request(EmailVerifyDocument, { arg: linkParams(linkIn(mail, VERIFY_URL)) })).errors).toBeUndefined();
    const after = await t.service.request(LoginDocument, { arg: { username: 'strict', password: 'a long enough password' } });
    expect(after.errors).toBeUndefined();
    expect(hasuraClaims(after.data!.user_login.access)['x-hasura-user-email-verified']).toBe('true');
  });
});

describe('EMAIL_VERIFICATION=off', () => {
  const t = setupTestService({ mailbox: true, env: { EMAIL_VERIFICATION: 'off', EMAIL_VERIFY_URL: VERIFY_URL } });

  it('sends a welcome email without a link and records no verification', async () => {
    const { user, mail } = await registerAndWelcome(t, 'relaxed');
    expect(mail.text).not.toContain(VERIFY_URL);
    expect(await t.service.services.db.prisma.emailVerificationRequest.count({ where: { userId: user.id } })).toBe(0);
    // Nor on request.
    expect((await t.service.request(EmailVerificationResendDocument, { arg: { email: user.email } })).errors).toBeUndefined();
    expect(await t.service.services.db.prisma.emailVerificationRequest.count({ where: { userId: user.id } })).toBe(0);
    expect(hasuraClaims((user.tokens as { access: string }).access)['x-hasura-user-email-verified']).toBe('false');
  });
});
