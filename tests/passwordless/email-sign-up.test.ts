// PASSWORDLESS_SIGNUP=true: an address without an account gets the sign-in email too (it must, to
// confirm), and the account is made only when the link or the code comes back.
import jwt from 'jsonwebtoken';
import { DEFAULT_REQUEST_INTERVAL } from '../../src/auth/email-sign-ins';
import { SigninEmailConfirmDocument, SigninEmailDocument } from '../generated/graphql';
import { TestClock } from '../support/service';
import { setupTestService } from '../support/setup';

const SIGNIN_URL = 'https://app.example.com/signin/email';
const clock = new TestClock(new Date('2026-12-02T10:00:00Z'));
const t = setupTestService({ mailbox: true, clock, env: { SIGNIN_EMAIL_URL: SIGNIN_URL, PASSWORDLESS_SIGNUP: 'true' } });
const prisma = () => t.service.services.db.prisma;

async function emailedLink(address: string): Promise<{ token: string; code: string }> {
  clock.advance(DEFAULT_REQUEST_INTERVAL + 1);
  expect((await t.service.request(SigninEmailDocument, { arg: { email: address } })).errors).toBeUndefined();
  const row = await prisma().signInEmailRequest.findFirstOrThrow({ where: { email: address }, orderBy: { createdAt: 'desc' } });
  const before = t.mailbox.received.length;
  const res = await t.events.deliver('signin_email_requested', await t.events.forRow('signin_email_requested', row.id));
  expect(res.body?.status).toBe('sent');
  const text = (await t.mailbox.waitFor(before + 1))[before]!.text ?? '';
  const link = new URL(new RegExp(`${SIGNIN_URL}\\S+`).exec(text)![0]);
  return { token: link.searchParams.get('token')!, code: /enter this code: (\d{6})/.exec(text)![1]! };
}

it('an unknown address gets the email but no account until it confirms; then a verified, password-less account', async () => {
  const address = 'Newcomer.Smith@example.com';
  const mail = await emailedLink(address);
  expect(await prisma().user.count({ where: { email: address } })).toBe(0);

  const res = await t.service.request(SigninEmailConfirmDocument, { arg: { email: address, token: mail.code } });
  expect(res.errors).toBeUndefined();
  const user = await prisma().user.findUniqueOrThrow({ where: { email: address } });
  expect(user).toMatchObject({ username: 'Newcomer.Smith', passwordHash: null, emailVerifiedAt: clock.now(), isAnonymous: false });
  expect((jwt.decode(res.data!.user_signin_email_confirm.access) as { sub: string }).sub).toBe(String(user.id));

  // The next request for the address is an ordinary sign-in into that account.
  const again = await emailedLink(address);
  const second = await t.service.request(SigninEmailConfirmDocument, { arg: { email: address, token: again.token } });
  expect((jwt.decode(second.data!.user_signin_email_confirm.access) as { sub: string }).sub).toBe(String(user.id));
  expect(await prisma().user.count({ where: { email: address } })).toBe(1);
});

it('makes a unique username when the address’s name is taken', async () => {
  await t.users.register({ username: 'popular', email: 'popular@example.org' });
  const mail = await emailedLink('popular@example.com');
  expect((await t.service.request(SigninEmailConfirmDocument, { arg: { email: 'popular@example.com', token: mail.token } })).errors).toBeUndefined();
  const user = await prisma().user.findUniqueOrThrow({ where: { email: 'popular@example.com' } });
  expect(user.username).toMatch(/^popular-\d{4}$/);
});

it('an inactive account’s address gets nothing, and no second account', async () => {
  const dormant = await t.users.register({ username: 'dormant' });
  await t.users.deactivate(dormant.id);
  clock.advance(DEFAULT_REQUEST_INTERVAL + 1);
  await t.service.request(SigninEmailDocument, { arg: { email: dormant.email } });
  expect(await prisma().signInEmailRequest.count({ where: { email: dormant.email } })).toBe(0);
});
