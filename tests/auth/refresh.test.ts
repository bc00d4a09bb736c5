// Refreshing an access token: without rotation the refresh token lives until it expires; with
// rotation each use hands out its successor, and a stolen token replayed late ends the session.
import { hashRefreshToken } from '../../src/auth/sessions';
import { LogoutDocument, RefreshDocument } from '../generated/graphql';
import { hasuraVerify } from '../support/hasura-jwt';
import { codeOf, TEST_JWT_KEY, TestClock, type TestService } from '../support/service';
import { setupTestDatabase, setupTestService } from '../support/setup';

const database = setupTestDatabase();

const refresh = (service: TestService, token: string, headers?: Record<string, string>) =>
  service.request(RefreshDocument, { arg: { refresh: token } }, headers);

describe('refresh without rotation (the default)', () => {
  const clock = new TestClock();
  const t = setupTestService({ database, clock });

  it('gives a new access token for a live session and no refresh token', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    clock.advance(2);
    const res = await refresh(t.service, user.tokens.refresh);
    expect(res.errors).toBeUndefined();
    expect(res.data!.user_refresh.refresh).toBeNull();
    const claims = hasuraVerify(res.data!.user_refresh.access, { type: 'HS256', key: TEST_JWT_KEY }, Math.floor(clock.now().getTime() / 1000));
    expect(claims.variables['x-hasura-user-id']).toBe(String(user.id));
    expect(claims.payload.sid).toBe(hasuraVerify(user.tokens.access, { type: 'HS256', key: TEST_JWT_KEY }, Math.floor(clock.now().getTime() / 1000)).payload.sid);
    // The same token keeps working: without rotation it lives until it expires.
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBeUndefined();
  });

  it('stores only a hash of the refresh token', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const stored = await t.service.services.db.prisma.refreshToken.findMany({ include: { session: true } });
    expect(stored.map((row) => row.tokenHash)).toContain(hashRefreshToken(user.tokens.refresh));
    expect(JSON.stringify(stored)).not.toContain(user.tokens.refresh);
  });

  it('is refused after logout, and logout ends only that session', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const second = await t.users.signIn(user);
    const out = await t.service.request(LogoutDocument, { arg: { refresh: user.tokens.refresh } });
    expect(out.data).toEqual({ user_logout: { status: 'OK' } });
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(t.service, second.refresh))).toBeUndefined();
    expect((await t.sessions.of(user.tokens.refresh)).revokedReason).toBe('logout');
  });

  it('is refused after the refresh token expires, and the session ends', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    clock.advance(7 * 86400 + 1);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(user.tokens.refresh)).revokedReason).toBe('expired');
  });

  it('works until the millisecond before the refresh token expires, and is refused from that millisecond', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const { expiresAt } = await t.service.services.db.prisma.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashRefreshToken(user.tokens.refresh) },
    });
    clock.advance(7 * 86400 - 0.001);
    expect(clock.now().getTime()).toBe(expiresAt.getTime() - 1);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBeUndefined();
    clock.advance(0.001);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(user.tokens.refresh)).revokedReason).toBe('expired');
  });

  it('records the session’s use once its last one is a minute old, to the millisecond', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const signedIn = clock.now();
    expect((await t.sessions.of(user.tokens.refresh)).lastUsedAt).toEqual(signedIn);
    clock.advance(59.999);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBeUndefined();
    expect((await t.sessions.of(user.tokens.refresh)).lastUsedAt).toEqual(signedIn);
    clock.advance(0.001);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBeUndefined();
    expect((await t.sessions.of(user.tokens.refresh)).lastUsedAt).toEqual(clock.now());
    // The next minute starts from that use.
    clock.advance(30);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBeUndefined();
    expect((await t.sessions.of(user.tokens.refresh)).lastUsedAt.getTime()).toBe(clock.now().getTime() - 30_000);
  });

  it('ends a session for the first reason that holds: expiry, then an inactive user, then a role change', async () => {
    const expired = await t.users.register({ prefix: 'refresher' });
    const inactive = await t.users.register({ prefix: 'refresher' });
    // Both first tokens expire; the second user signs in again, for a token that has not.
    clock.advance(7 * 86400);
    const fresh = await t.users.signIn(inactive);
    for (const user of [expired, inactive]) {
      await t.users.deactivate(user.id);
      await t.users.assignRole(user.id, 'manager');
    }
    expect(codeOf(await refresh(t.service, expired.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(expired.tokens.refresh)).revokedReason).toBe('expired');
    expect(codeOf(await refresh(t.service, fresh.refresh))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(fresh.refresh)).revokedReason).toBe('inactive');
  });

  it('is refused for a deactivated user, and stays refused after reactivation', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    await t.users.deactivate(user.id);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    await t.users.reactivate(user.id);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(user.tokens.refresh)).revokedReason).toBe('inactive');
  });

  it('is refused after a role change', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    await t.users.assignRole(user.id, 'manager');
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(user.tokens.refresh)).revokedReason).toBe('role_change');
  });

  it('refuses unknown, empty and absurd tokens with precise codes', async () => {
    expect(codeOf(await refresh(t.service, 'x'.repeat(43)))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(t.service, ''))).toBe('BAD_USER_INPUT');
    expect(codeOf(await refresh(t.service, 'x'.repeat(100_000)))).toBe('UNAUTHENTICATED');
  });

  it('works without an Authorization header and ignores an expired one', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const res = await refresh(t.service, user.tokens.refresh, { authorization: 'Bearer expired.or.garbage' });
    expect(res.errors).toBeUndefined();
  });
});

describe('refresh with REFRESH_TOKEN_ROTATION=true', () => {
  const clock = new TestClock();
  const t = setupTestService({ database, clock, env: { REFRESH_TOKEN_ROTATION: 'true' } });

  it('returns a new refresh token each time, which works in turn', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const first = await refresh(t.service, user.tokens.refresh);
    const next = first.data!.user_refresh.refresh!;
    expect(next).toBeTruthy();
    expect(next).not.toBe(user.tokens.refresh);
    const second = await refresh(t.service, next);
    expect(second.errors).toBeUndefined();
    expect(second.data!.user_refresh.refresh).not.toBe(next);
  });

  it('tolerates concurrent reuse of one token inside the grace window: every refresh gets the one successor', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(t.service, user.tokens.refresh)));
    for (const res of results) expect(res.errors).toBeUndefined();
    const tokens = results.map((r) => r.data!.user_refresh.refresh!);
    expect(new Set(tokens).size).toBe(1);
    // The successor works, and the session is still live.
    clock.advance(5);
    expect(codeOf(await refresh(t.service, tokens[0]!))).toBeUndefined();
    expect((await t.sessions.of(user.tokens.refresh)).revokedAt).toBeNull();
  });

  it('ends a session whose user changed role as role_change, even when the token is a replay after the grace', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBeUndefined();
    await t.users.assignRole(user.id, 'manager');
    clock.advance(11);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(user.tokens.refresh)).revokedReason).toBe('role_change');
  });

  it('ends the whole family when a retired token comes back after the grace window', async () => {
    const user = await t.users.register({ prefix: 'refresher' });
    const successor = (await refresh(t.service, user.tokens.refresh)).data!.user_refresh.refresh!;
    const latest = (await refresh(t.service, successor)).data!.user_refresh.refresh!;
    clock.advance(11);
    expect(codeOf(await refresh(t.service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    // The thief's replay killed the session for the legitimate holder too.
    expect(codeOf(await refresh(t.service, latest))).toBe('UNAUTHENTICATED');
    expect((await t.sessions.of(latest)).revokedReason).toBe('reuse');
  });
});
