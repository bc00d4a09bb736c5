// The whole reset flow end to end, as a user and Hasura live it: user_password_reset over GraphQL
// → the row it recorded → the event Hasura builds from that row → the webhook → an email on the
// SMTP server → the link's token accepted by user_password_reset_confirm → login with the new
// password.
import { LoginDocument, RegisterDocument, ResetConfirmDocument, ResetDocument, ResetValidateDocument } from '../generated/graphql';
import { setupTestService } from '../support/setup';

const RESET_URL = 'https://app.example.com/reset-password';

const t = setupTestService({ mailbox: true, env: { PASSWORD_RESET_URL: RESET_URL } });

it('resets a forgotten password from the email link, once', async () => {
  const oldPassword = 'my old password 17';
  const newPassword = 'a brand new secret 42';
  const { service, mailbox: smtp } = t;
  const registered = await service.request(RegisterDocument, {
    arg: { username: 'amnesiac', email: 'Amnesiac@Example.com', password: oldPassword },
  });
  expect(registered.errors).toBeUndefined();
  const userId = registered.data!.user_register.id;

  // 1. The user asks for a reset (in another letter case than registered).
  const asked = await service.request(ResetDocument, { arg: { email: 'amnesiac@example.com' } });
  expect(asked.errors).toBeUndefined();
  expect(asked.data!.user_password_reset).toEqual({ status: 'OK' });

  // 2. The row it recorded, and the event Hasura's trigger makes of it.
  const request = await service.services.db.prisma.passwordResetRequest.findFirstOrThrow({ where: { userId }, orderBy: { createdAt: 'desc' } });
  expect(request.resetSent).toBe(false);
  const event = await t.events.forRow('password_reset_requested', request.id);

  // 3. Hasura delivers it (twice, as it may).
  expect(await t.events.deliver('password_reset_requested', event)).toMatchObject({ status: 200, body: { status: 'sent' } });
  expect(await t.events.deliver('password_reset_requested', event)).toMatchObject({ status: 200, body: { status: 'already_sent' } });

  // 4. One email, with the link.
  const [mail] = await smtp.waitFor(1);
  expect(smtp.received).toHaveLength(1);
  expect(smtp.received[0]!.envelope.to).toEqual(['Amnesiac@example.com']);
  const link = new URL(new RegExp(`${RESET_URL}\\S+`).exec(mail!.text ?? '')![0]);
  const token = link.searchParams.get('token')!;
  const email = link.searchParams.get('email')!;
  expect(email).toBe('Amnesiac@Example.com');

  // 5. The reset page checks the token, then sets the new password with it.
  const valid = await service.request(ResetValidateDocument, { arg: { email, token } });
  expect(valid.errors).toBeUndefined();
  const confirmed = await service.request(ResetConfirmDocument, {
    arg: { email, token, password: newPassword },
  });
  expect(confirmed.errors).toBeUndefined();
  expect(confirmed.data!.user_password_reset_confirm).toEqual({ status: 'OK' });

  // 6. The new password logs in; the old one and the spent token do not.
  const login = await service.request(LoginDocument, { arg: { username: 'amnesiac', password: newPassword } });
  expect(login.errors).toBeUndefined();
  expect(login.data!.user_login.access).toBeTruthy();
  const old = await service.request(LoginDocument, { arg: { username: 'amnesiac', password: oldPassword } });
  expect(old.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const again = await service.request(ResetConfirmDocument, { arg: { email, token, password: 'yet another secret 7' } });
  expect(again.errors?.[0]?.extensions?.code).toBe('INVALID_TOKEN');

  // 7. A late redelivery of the event sends nothing more.
  expect((await t.events.deliver('password_reset_requested', { ...event, event: { ...event.event, op: 'MANUAL' } })).body?.status).toBe('already_sent');
  expect(smtp.received).toHaveLength(1);
});

it('sends nothing for an address without an account, while answering the same', async () => {
  const asked = await t.service.request(ResetDocument, { arg: { email: 'nobody@example.com' } });
  expect(asked.data!.user_password_reset).toEqual({ status: 'OK' });
  const requests = await t.service.services.db.prisma.passwordResetRequest.count({ where: { user: { email: 'nobody@example.com' } } });
  expect(requests).toBe(0);
});
