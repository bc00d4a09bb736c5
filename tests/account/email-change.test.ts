// Change of email: the new address gets the link, the old one a notice; nothing changes before
// the new address confirms; then the account has the new, verified address and only the session
// that asked stays signed in. A taken address is answered like a free one, with no email.
import { ChangeEmailDocument, EmailChangeConfirmDocument, LoginDocument, RefreshDocument } from '../generated/graphql';
import { dumpDatabase } from '../support/dump';
import { bearer } from '../support/fixtures';
import { hasuraClaims, linkIn, linkParams } from '../support/links';
import { codeOf } from '../support/service';
import { setupTestService } from '../support/setup';

const VERIFY_URL = 'https://app.example.com/verify-email';
const t = setupTestService({ mailbox: true, env: { EMAIL_VERIFY_URL: VERIFY_URL } });

/** The email-change request the user's last user_change_email recorded, delivered by both its triggers. */
async function deliverChange(userId: number) {
  const row = await t.service.services.db.prisma.emailChangeRequest.findFirstOrThrow({ where: { userId }, orderBy: { createdAt: 'desc' } });
  const before = t.mailbox.received.length;
  for (const trigger of ['email_change_requested', 'email_change_notice'] as const) {
    expect((await t.events.deliver(trigger, await t.events.forRow(trigger, row.id))).body?.status).toBe('sent');
  }
  const mails = (await t.mailbox.waitFor(before + 2)).slice(before);
  return { row, mails };
}

it('sends the link to the new address and a notice to the old; confirming switches the address and ends other sessions', async () => {
  const user = await t.users.register({ username: 'mover' });
  const other = await t.users.signIn(user);

  const asked = await t.service.request(ChangeEmailDocument, { arg: { new_email: 'Mover.New@example.com', password: user.password } }, bearer(user.tokens.access));
  expect(asked.errors).toBeUndefined();
  expect(asked.data!.user_change_email).toEqual({ status: 'OK' });

  const { mails } = await deliverChange(user.id);
  const link = mails.find((m) => m.subject === 'Confirm your new email address for Hasura Auth')!;
  const notice = mails.find((m) => m.subject === 'Your Hasura Auth email address is about to change')!;
  expect(link.to).toMatchObject({ value: [{ address: 'Mover.New@example.com' }] });
  expect(notice.to).toMatchObject({ value: [{ address: 'mover@example.com' }] });
  expect(notice.text).toContain('Mover.\u200BNew@\u200Bexample.\u200Bcom');
  expect(notice.text).not.toContain(VERIFY_URL);

  // Before confirmation: still the old address, for login and in tokens.
  const oldLogin = await t.service.request(LoginDocument, { arg: { username: 'mover@example.com', password: user.password } });
  expect(oldLogin.errors).toBeUndefined();
  expect(codeOf(await t.service.request(LoginDocument, { arg: { username: 'mover.new@example.com', password: user.password } }))).toBe('UNAUTHENTICATED');

  const url = linkIn(link, VERIFY_URL);
  expect(url.searchParams.get('type')).toBe('email_change');
  const confirmed = await t.service.request(EmailChangeConfirmDocument, { arg: linkParams(url) });
  expect(confirmed.errors).toBeUndefined();

  const stored = await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
  expect(stored.email).toBe('Mover.New@example.com');
  expect(stored.emailVerifiedAt).not.toBeNull();
  // The session that asked goes on, with the new, verified address in its next token.
  const refreshed = await t.service.request(RefreshDocument, { arg: { refresh: user.tokens.refresh } });
  expect(refreshed.errors).toBeUndefined();
  expect(hasuraClaims(refreshed.data!.user_refresh.access)['x-hasura-user-email-verified']).toBe('true');
  // Every other ended.
  expect(codeOf(await t.service.request(RefreshDocument, { arg: { refresh: other.refresh } }))).toBe('UNAUTHENTICATED');
  expect(codeOf(await t.service.request(RefreshDocument, { arg: { refresh: oldLogin.data!.user_login.refresh } }))).toBe('UNAUTHENTICATED');
  // The new address signs in; the old one no longer does; the link is spent.
  expect((await t.service.request(LoginDocument, { arg: { username: 'mover.new@example.com', password: user.password } })).errors).toBeUndefined();
  expect(codeOf(await t.service.request(LoginDocument, { arg: { username: 'mover@example.com', password: user.password } }))).toBe('UNAUTHENTICATED');
  expect(codeOf(await t.service.request(EmailChangeConfirmDocument, { arg: linkParams(url) }))).toBe('INVALID_TOKEN');
});

it('answers a taken address like a free one, and records nothing, so no email goes out', async () => {
  const user = await t.users.register({ username: 'squatter' });
  await t.users.register({ username: 'owner' });
  const before = await dumpDatabase(t.service.services.db.pool);
  const res = await t.service.request(ChangeEmailDocument, { arg: { new_email: 'OWNER@example.com', password: user.password } }, bearer(user.tokens.access));
  expect(res.errors).toBeUndefined();
  expect(res.data!.user_change_email).toEqual({ status: 'OK' });
  expect(await dumpDatabase(t.service.services.db.pool)).toEqual(before);
});

it('needs the right password and a well-formed new address, and changes nothing otherwise', async () => {
  const user = await t.users.register({ username: 'careful' });
  const wrong = await t.service.request(ChangeEmailDocument, { arg: { new_email: 'c2@example.com', password: 'not my password at all' } }, bearer(user.tokens.access));
  expect(codeOf(wrong)).toBe('BAD_USER_INPUT');
  expect(wrong.errors?.[0]?.extensions?.fields).toEqual({ password: ['The password is incorrect.'] });
  const malformed = await t.service.request(ChangeEmailDocument, { arg: { new_email: 'nope', password: user.password } }, bearer(user.tokens.access));
  expect(malformed.errors?.[0]?.extensions?.fields).toHaveProperty('new_email');
  const anonymous = await t.service.request(ChangeEmailDocument, { arg: { new_email: 'c3@example.com', password: user.password } });
  expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
  expect(await t.service.services.db.prisma.emailChangeRequest.count({ where: { userId: user.id } })).toBe(0);
});

it('refuses a link whose address was registered by someone else meanwhile', async () => {
  const user = await t.users.register({ username: 'slow' });
  await t.service.request(ChangeEmailDocument, { arg: { new_email: 'contested@example.com', password: user.password } }, bearer(user.tokens.access));
  const { mails } = await deliverChange(user.id);
  const link = mails.find((m) => m.subject?.startsWith('Confirm your new'))!;
  await t.users.register({ username: 'quick', email: 'contested@example.com' });
  expect(codeOf(await t.service.request(EmailChangeConfirmDocument, { arg: linkParams(linkIn(link, VERIFY_URL)) }))).toBe('INVALID_TOKEN');
  expect((await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email).toBe('slow@example.com');
});
