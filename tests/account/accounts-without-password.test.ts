// Accounts a provider sign-in made have no password. They pass the same verification gate as any
// sign-in, and delete themselves with a fresh sign-in instead of a password.
import { EmailNotVerifiedError } from '../../src/auth/errors';
import { DeleteAccountDocument } from '../generated/graphql';
import { bearer } from '../support/fixtures';
import { codeOf, TestClock } from '../support/service';
import { setupTestService } from '../support/setup';

const clock = new TestClock();
const t = setupTestService({ clock, env: { EMAIL_VERIFICATION: 'required' } });

/** A user as a provider sign-in creates one: no password, the address verified only if the provider vouched. */
async function providerUser(username: string, verified: boolean) {
  const user = await t.service.services.db.prisma.user.create({
    data: { username, email: `${username}@example.com`, role: { connect: { name: 'user' } }, emailVerifiedAt: verified ? clock.now() : null },
    include: { role: true },
  });
  return { id: user.id, username: user.username, email: user.email, roleId: user.roleId, role: user.role.name };
}

it('the sign-in gate refuses an unverified provider account with EMAIL_NOT_VERIFIED, and lets a verified one in', async () => {
  const unverified = await providerUser('unvouched', false);
  await expect(t.service.services.signIns.complete(unverified, ['oauth'])).rejects.toBeInstanceOf(EmailNotVerifiedError);
  const verified = await providerUser('vouched', true);
  const tokens = await t.service.services.signIns.complete(verified, ['oauth']);
  expect(tokens.access).toBeTruthy();
});

it('deletes an account without a password within ten minutes of signing in, and not later', async () => {
  const user = await providerUser('passwordless', true);
  const late = await t.service.services.signIns.complete(user, ['oauth']);
  clock.advance(11 * 60);
  const refused = await t.service.request(DeleteAccountDocument, { arg: { password: '' } }, bearer(late.access));
  // The access token (15 minutes) still works; the session is too old to stand for a password.
  expect(codeOf(refused)).toBe('BAD_USER_INPUT');
  expect(refused.errors?.[0]?.extensions?.fields).toHaveProperty('password');
  expect(await t.service.services.db.prisma.user.count({ where: { id: user.id } })).toBe(1);

  const fresh = await t.service.services.signIns.complete(user, ['oauth']);
  const res = await t.service.request(DeleteAccountDocument, { arg: { password: '' } }, bearer(fresh.access));
  expect(res.errors).toBeUndefined();
  expect(await t.service.services.db.prisma.user.count({ where: { id: user.id } })).toBe(0);
});
