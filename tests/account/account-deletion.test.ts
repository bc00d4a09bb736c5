// Deleting one's account: the password again, then nothing of the user is left in any table of
// the service, and no token of theirs refreshes.
import { ChangeEmailDocument, DeleteAccountDocument, RefreshDocument, ResetDocument } from '../generated/graphql';
import { allStoredValues } from '../support/dump';
import { bearer } from '../support/fixtures';
import { codeOf } from '../support/service';
import { setupTestService } from '../support/setup';

const t = setupTestService({ mailbox: true });

it('removes every row of the user, in every table, and ends every session', async () => {
  const user = await t.users.register({ username: 'departing', email: 'departing@example.com' });
  const keep = await t.users.register({ username: 'staying' });
  const other = await t.users.signIn(user);
  // A life's worth of rows: emails sent (claims), a reset request, a pending change of email.
  await t.events.deliver('user_registered', await t.events.forRow('user_registered', user.id));
  await t.service.request(ResetDocument, { arg: { email: user.email } });
  await t.service.request(ChangeEmailDocument, { arg: { new_email: 'elsewhere@example.com', password: user.password } }, bearer(user.tokens.access));
  const change = await t.service.services.db.prisma.emailChangeRequest.findFirstOrThrow({ where: { userId: user.id } });
  await t.events.deliver('email_change_notice', await t.events.forRow('email_change_notice', change.id));
  await t.mailbox.waitFor(2);

  const wrong = await t.service.request(DeleteAccountDocument, { arg: { password: 'not the password at all' } }, bearer(user.tokens.access));
  expect(codeOf(wrong)).toBe('BAD_USER_INPUT');
  expect(wrong.errors?.[0]?.extensions?.fields).toEqual({ password: ['The password is incorrect.'] });
  expect(await t.service.services.db.prisma.user.count({ where: { id: user.id } })).toBe(1);

  const res = await t.service.request(DeleteAccountDocument, { arg: { password: user.password } }, bearer(user.tokens.access));
  expect(res.errors).toBeUndefined();
  expect(res.data!.user_delete_account).toEqual({ status: 'OK' });

  const values = await allStoredValues(t.service.services.db.pool);
  const userColumns = values.filter((v) => v.column === 'user_id' || (v.table === 'users' && v.column === 'id'));
  expect(userColumns.filter((v) => v.value === String(user.id))).toEqual([]);
  // Nor the name, the addresses, or an email claim naming one of the user's rows.
  expect(values.filter((v) => /departing|elsewhere/i.test(v.value))).toEqual([]);
  expect(values.filter((v) => v.table === 'email_claims' && (v.value === `welcome:${user.id}` || v.value.includes(change.id)))).toEqual([]);

  for (const refresh of [user.tokens.refresh, other.refresh]) {
    expect(codeOf(await t.service.request(RefreshDocument, { arg: { refresh } }))).toBe('UNAUTHENTICATED');
  }
  expect(codeOf(await t.service.request(DeleteAccountDocument, { arg: { password: user.password } }, bearer(user.tokens.access)))).toBe('UNAUTHENTICATED');
  // Others are untouched.
  expect((await t.service.request(RefreshDocument, { arg: { refresh: keep.tokens.refresh } })).errors).toBeUndefined();
});

it('needs an access token', async () => {
  expect(codeOf(await t.service.request(DeleteAccountDocument, { arg: { password: 'whatever it is' } }))).toBe('UNAUTHENTICATED');
});
