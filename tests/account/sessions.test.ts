// The sessions a user can see and end: each sign-in with its browser and last use, the caller's
// marked current; revoking one ends its refresh; logging out everywhere ends them all.
import { LoginDocument, LogoutAllDocument, RefreshDocument, SessionRevokeDocument, SessionsDocument } from '../generated/graphql';
import { bearer } from '../support/fixtures';
import { codeOf, TestClock } from '../support/service';
import { setupTestService } from '../support/setup';

const clock = new TestClock();
const t = setupTestService({ clock });

it('lists the live sessions with their user agent, the caller’s as current', async () => {
  const user = await t.users.register({ username: 'lister' }, { 'user-agent': 'Firefox on the desk' });
  clock.advance(60);
  const phone = await t.service.request(LoginDocument, { arg: { username: 'lister', password: user.password } }, { 'user-agent': 'Safari on the phone' });
  const phoneTokens = phone.data!.user_login;

  const res = await t.service.request(SessionsDocument, {}, bearer(user.tokens.access));
  expect(res.errors).toBeUndefined();
  const sessions = res.data!.user_sessions;
  expect(sessions.map((s) => [s.user_agent, s.current])).toEqual([
    ['Safari on the phone', false],
    ['Firefox on the desk', true],
  ]);
  for (const s of sessions) expect(Date.parse(s.last_used_at)).toBeGreaterThanOrEqual(Date.parse(s.created_at));

  // A refresh is a use: the desk's session moves up (recorded at most once a minute).
  clock.advance(120);
  expect((await t.service.request(RefreshDocument, { arg: { refresh: user.tokens.refresh } })).errors).toBeUndefined();
  const after = (await t.service.request(SessionsDocument, {}, bearer(phoneTokens.access))).data!.user_sessions;
  expect(after.map((s) => [s.user_agent, s.current])).toEqual([
    ['Firefox on the desk', false],
    ['Safari on the phone', true],
  ]);
  expect(Date.parse(after[0]!.last_used_at)).toBe(clock.now().getTime());
});

it('revoking another session ends its refresh and leaves the caller’s', async () => {
  const user = await t.users.register({ username: 'revoker' });
  const other = await t.users.signIn(user);
  const sessions = (await t.service.request(SessionsDocument, {}, bearer(user.tokens.access))).data!.user_sessions;
  const target = sessions.find((s) => !s.current)!;

  const res = await t.service.request(SessionRevokeDocument, { arg: { id: target.id } }, bearer(user.tokens.access));
  expect(res.errors).toBeUndefined();
  expect(codeOf(await t.service.request(RefreshDocument, { arg: { refresh: other.refresh } }))).toBe('UNAUTHENTICATED');
  expect((await t.service.request(RefreshDocument, { arg: { refresh: user.tokens.refresh } })).errors).toBeUndefined();
  // Ended, or someone else's: not one of the caller's live sessions.
  expect(codeOf(await t.service.request(SessionRevokeDocument, { arg: { id: target.id } }, bearer(user.tokens.access)))).toBe('BAD_USER_INPUT');
  const stranger = await t.users.register({ username: 'stranger' });
  const theirs = (await t.service.request(SessionsDocument, {}, bearer(stranger.tokens.access))).data!.user_sessions[0]!;
  expect(codeOf(await t.service.request(SessionRevokeDocument, { arg: { id: theirs.id } }, bearer(user.tokens.access)))).toBe('BAD_USER_INPUT');
  expect(codeOf(await t.service.request(SessionRevokeDocument, { arg: { id: 'not-a-uuid' } }, bearer(user.tokens.access)))).toBe('BAD_USER_INPUT');
  expect((await t.service.request(RefreshDocument, { arg: { refresh: stranger.tokens.refresh } })).errors).toBeUndefined();
});

it('logout_all ends every session, the caller’s too', async () => {
  const user = await t.users.register({ username: 'leaver' });
  const other = await t.users.signIn(user);
  const res = await t.service.request(LogoutAllDocument, {}, bearer(user.tokens.access));
  expect(res.errors).toBeUndefined();
  expect(res.data!.user_logout_all).toEqual({ status: 'OK' });
  for (const refresh of [user.tokens.refresh, other.refresh]) {
    expect(codeOf(await t.service.request(RefreshDocument, { arg: { refresh } }))).toBe('UNAUTHENTICATED');
  }
  // The access token outlives its session, but acts on nothing any more.
  expect(codeOf(await t.service.request(SessionsDocument, {}, bearer(user.tokens.access)))).toBe('UNAUTHENTICATED');
});

it('needs an access token', async () => {
  expect(codeOf(await t.service.request(SessionsDocument, {}))).toBe('UNAUTHENTICATED');
  expect(codeOf(await t.service.request(LogoutAllDocument, {}))).toBe('UNAUTHENTICATED');
});

it('leaves out sessions whose refresh token has expired', async () => {
  const user = await t.users.register({ username: 'sleeper' });
  clock.advance(7 * 86400 + 1);
  const fresh = await t.users.signIn(user);
  const sessions = (await t.service.request(SessionsDocument, {}, bearer(fresh.access))).data!.user_sessions;
  expect(sessions.map((s) => s.current)).toEqual([true]);
});
