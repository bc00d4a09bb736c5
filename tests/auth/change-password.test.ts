// user_change_password: the old password again, the password policy, every other session ended
// and the caller's kept.
import { CHANGE_MESSAGES } from '../../src/auth/password-changes';
import { PASSWORD_MESSAGES } from '../../src/auth/password-policy';
import { ChangePasswordDocument, LoginDocument, LogoutDocument, RefreshDocument, type ChangePassword } from '../generated/graphql';
import { dumpDatabase } from '../support/dump';
import { bearer, PASSWORD } from '../support/fixtures';
import { codeOf } from '../support/service';
import { setupTestService } from '../support/setup';

const NEW_PASSWORD = 'another fine passphrase';

const t = setupTestService();

/** A user with two sessions: `first` from registering, `second` from a login. */
async function newUser() {
  const user = await t.users.register({ prefix: 'changer' });
  return { ...user, first: user.tokens, second: await t.users.signIn(user) };
}
const login = (username: string, password: string) => t.service.request(LoginDocument, { arg: { username, password } });
const refresh = (token: string) => t.service.request(RefreshDocument, { arg: { refresh: token } });
const change = (access: string | undefined, arg: ChangePassword) =>
  t.service.request(ChangePasswordDocument, { arg }, access ? bearer(access) : {});
const dump = () => dumpDatabase(t.service.services.db.pool);

describe('a successful change', () => {
  let user: Awaited<ReturnType<typeof newUser>>;
  let res: Awaited<ReturnType<typeof change>>;
  let before: { passwordHash: string | null; passwordChangedAt: Date };
  beforeAll(async () => {
    user = await newUser();
    before = await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    res = await change(user.first.access, { old_password: PASSWORD, new_password: NEW_PASSWORD });
  });

  it('answers { status: "success", code: 200 }', () => {
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ user_change_password: { status: 'success', code: 200 } });
  });

  it("keeps the caller's session: its refresh token still works", async () => {
    expect(codeOf(await refresh(user.first.refresh))).toBeUndefined();
  });

  it("ends every other session: another session's refresh is refused", async () => {
    expect(codeOf(await refresh(user.second.refresh))).toBe('UNAUTHENTICATED');
    const sessions = await t.service.services.db.prisma.session.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(sessions.map((s) => s.revokedReason)).toEqual([null, 'password_change']);
  });

  it('the old password no longer logs in; the new one does', async () => {
    expect(codeOf(await login(user.username, PASSWORD))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(user.username, NEW_PASSWORD))).toBeUndefined();
  });

  it('stores a new hash and records when the password changed', async () => {
    const row = await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).not.toBe(before.passwordHash);
    expect(row.passwordHash).toMatch(/^\$2[aby]\$04\$/);
    expect(row.passwordChangedAt.getTime()).toBeGreaterThan(before.passwordChangedAt.getTime());
  });
});

describe('a refused change changes nothing', () => {
  it('a wrong old password: BAD_USER_INPUT on old_password', async () => {
    const user = await newUser();
    const before = await dump();
    const res = await change(user.first.access, { old_password: 'not my password', new_password: NEW_PASSWORD });
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { old_password: [CHANGE_MESSAGES.oldIncorrect] } });
    expect(await dump()).toEqual(before);
    expect(codeOf(await login(user.username, PASSWORD))).toBeUndefined();
    expect(codeOf(await refresh(user.second.refresh))).toBeUndefined();
  });

  it('a new password the policy refuses: every reason under new_password, with a wrong old one too', async () => {
    const user = await newUser();
    const before = await dump();
    const res = await change(user.first.access, { old_password: 'wrong', new_password: 'qwerty' });
    expect(res.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fields: {
        old_password: [CHANGE_MESSAGES.oldIncorrect],
        new_password: [PASSWORD_MESSAGES.tooShort(8), PASSWORD_MESSAGES.common],
      },
    });
    expect(await dump()).toEqual(before);
  });

  it('the policy sees the username: a new password like it is refused', async () => {
    const user = await newUser();
    const res = await change(user.first.access, { old_password: PASSWORD, new_password: `${user.username}!` });
    expect(res.errors?.[0]?.extensions?.fields).toEqual({
      new_password: [PASSWORD_MESSAGES.similarToUsername, PASSWORD_MESSAGES.similarToEmail],
    });
  });

  it('a new password equal to the old one', async () => {
    const user = await newUser();
    const res = await change(user.first.access, { old_password: PASSWORD, new_password: PASSWORD });
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { new_password: [CHANGE_MESSAGES.sameAsOld] } });
  });

  it('blank fields', async () => {
    const user = await newUser();
    const res = await change(user.first.access, { old_password: '', new_password: '' });
    expect(res.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fields: { old_password: [CHANGE_MESSAGES.blank], new_password: [CHANGE_MESSAGES.blank] },
    });
  });

  it('without an access token: UNAUTHENTICATED', async () => {
    const res = await change(undefined, { old_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it("with the access token of a session that was logged out: UNAUTHENTICATED", async () => {
    const user = await newUser();
    expect(codeOf(await t.service.request(LogoutDocument, { arg: { refresh: user.second.refresh } }))).toBeUndefined();
    const before = await dump();
    const res = await change(user.second.access, { old_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(await dump()).toEqual(before);
  });

  it('for a deactivated user: UNAUTHENTICATED', async () => {
    const user = await newUser();
    await t.users.deactivate(user.id);
    const res = await change(user.first.access, { old_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });
});

it('of two simultaneous changes from the same old password, exactly one succeeds', async () => {
  const user = await newUser();
  const results = await Promise.all([
    change(user.first.access, { old_password: PASSWORD, new_password: 'first new passphrase' }),
    change(user.second.access, { old_password: PASSWORD, new_password: 'second new passphrase' }),
  ]);
  const ok = results.filter((r) => r.data?.user_change_password);
  const refused = results.filter((r) => r.errors);
  expect(ok).toHaveLength(1);
  expect(refused).toHaveLength(1);
  // The loser either lost its session to the winner or found the old password already changed.
  expect(['UNAUTHENTICATED', 'BAD_USER_INPUT']).toContain(codeOf(refused[0]!));
  const winner = results[0]!.data ? 'first new passphrase' : 'second new passphrase';
  expect(codeOf(await login(user.username, winner))).toBeUndefined();
});
