import { hashRefreshToken } from '../../src/auth/sessions';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { hasuraVerify } from '../support/hasura-jwt';
import { LOGIN, LOGOUT, REFRESH, REGISTER } from '../support/operations';
import { startTestService, TEST_JWT_KEY, TestClock, type TestService } from '../support/service';

type Tokens = { access: string; refresh: string | null };

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

let counter = 0;
async function newUser(service: TestService) {
  counter += 1;
  const username = `refresher${counter}`;
  const res = await service.gql<{ user_register: { id: number; tokens: { access: string; refresh: string } } }>(REGISTER, {
    arg: { username, email: `${username}@example.com`, password: 'a long enough password' },
  });
  expect(res.errors).toBeUndefined();
  return { username, ...res.data!.user_register };
}
const refresh = (service: TestService, token: string) => service.gql<{ user_refresh: Tokens }>(REFRESH, { arg: { refresh: token } });
const codeOf = (res: { errors?: { extensions?: { code?: string } }[] }) => res.errors?.[0]?.extensions?.code;
const sessionOf = (service: TestService, token: string) =>
  service.services.db.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: hashRefreshToken(token) }, include: { session: true } });

describe('refresh without rotation (the default)', () => {
  let service: TestService;
  const clock = new TestClock();
  beforeAll(async () => {
    service = await startTestService(db, { clock });
  });
  afterAll(() => service.stop());

  it('gives a new access token for a live session and no refresh token', async () => {
    const user = await newUser(service);
    clock.advance(2);
    const res = await refresh(service, user.tokens.refresh);
    expect(res.errors).toBeUndefined();
    expect(res.data!.user_refresh.refresh).toBeNull();
    const claims = hasuraVerify(res.data!.user_refresh.access, { type: 'HS256', key: TEST_JWT_KEY }, Math.floor(clock.now().getTime() / 1000));
    expect(claims.variables['x-hasura-user-id']).toBe(String(user.id));
    expect(claims.payload.sid).toBe(hasuraVerify(user.tokens.access, { type: 'HS256', key: TEST_JWT_KEY }, Math.floor(clock.now().getTime() / 1000)).payload.sid);
    // The same token keeps working: without rotation it lives until it expires.
    expect(codeOf(await refresh(service, user.tokens.refresh))).toBeUndefined();
  });

  it('stores only a hash of the refresh token', async () => {
    const user = await newUser(service);
    const stored = await service.services.db.prisma.refreshToken.findMany({ include: { session: true } });
    expect(stored.map((row) => row.tokenHash)).toContain(hashRefreshToken(user.tokens.refresh));
    expect(JSON.stringify(stored)).not.toContain(user.tokens.refresh);
  });

  it('is refused after logout, and logout ends only that session', async () => {
    const user = await newUser(service);
    const second = await service.gql<{ user_login: Tokens }>(LOGIN, { arg: { username: user.username, password: 'a long enough password' } });
    const out = await service.gql(LOGOUT, { arg: { refresh: user.tokens.refresh } });
    expect(out.data).toEqual({ user_logout: { status: 'OK' } });
    expect(codeOf(await refresh(service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(service, second.data!.user_login.refresh!))).toBeUndefined();
    expect((await sessionOf(service, user.tokens.refresh)).session.revokedReason).toBe('logout');
  });

  it('is refused after the refresh token expires, and the session ends', async () => {
    const user = await newUser(service);
    clock.advance(7 * 86400 + 1);
    expect(codeOf(await refresh(service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await sessionOf(service, user.tokens.refresh)).session.revokedReason).toBe('expired');
  });

  it('is refused for a deactivated user, and stays refused after reactivation', async () => {
    const user = await newUser(service);
    await service.services.db.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expect(codeOf(await refresh(service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    await service.services.db.prisma.user.update({ where: { id: user.id }, data: { isActive: true } });
    expect(codeOf(await refresh(service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await sessionOf(service, user.tokens.refresh)).session.revokedReason).toBe('inactive');
  });

  it('is refused after a role change', async () => {
    const user = await newUser(service);
    await service.services.db.prisma.user.update({ where: { id: user.id }, data: { role: { connect: { name: 'manager' } } } });
    expect(codeOf(await refresh(service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect((await sessionOf(service, user.tokens.refresh)).session.revokedReason).toBe('role_change');
  });

  it('refuses unknown, empty and absurd tokens with precise codes', async () => {
    expect(codeOf(await refresh(service, 'x'.repeat(43)))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(service, ''))).toBe('BAD_USER_INPUT');
    expect(codeOf(await refresh(service, 'x'.repeat(100_000)))).toBe('UNAUTHENTICATED');
  });

  it('works without an Authorization header and ignores an expired one', async () => {
    const user = await newUser(service);
    const res = await service.gql<{ user_refresh: Tokens }>(REFRESH, { arg: { refresh: user.tokens.refresh } }, { authorization: 'Bearer expired.or.garbage' });
    expect(res.errors).toBeUndefined();
  });
});

describe('refresh with REFRESH_TOKEN_ROTATION=true', () => {
  let service: TestService;
  const clock = new TestClock();
  beforeAll(async () => {
    service = await startTestService(db, { clock, env: { REFRESH_TOKEN_ROTATION: 'true' } });
  });
  afterAll(() => service.stop());

  it('returns a new refresh token each time, which works in turn', async () => {
    const user = await newUser(service);
    const first = await refresh(service, user.tokens.refresh);
    const next = first.data!.user_refresh.refresh!;
    expect(next).toBeTruthy();
    expect(next).not.toBe(user.tokens.refresh);
    const second = await refresh(service, next);
    expect(second.errors).toBeUndefined();
    expect(second.data!.user_refresh.refresh).not.toBe(next);
  });

  it('tolerates concurrent reuse of one token inside the grace window: every refresh gets the one successor', async () => {
    const user = await newUser(service);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(service, user.tokens.refresh)));
    for (const res of results) expect(res.errors).toBeUndefined();
    const tokens = results.map((r) => r.data!.user_refresh.refresh!);
    expect(new Set(tokens).size).toBe(1);
    // The successor works, and the session is still live.
    clock.advance(5);
    expect(codeOf(await refresh(service, tokens[0]!))).toBeUndefined();
    expect((await sessionOf(service, user.tokens.refresh)).session.revokedAt).toBeNull();
  });

  it('ends the whole family when a retired token comes back after the grace window', async () => {
    const user = await newUser(service);
    const successor = (await refresh(service, user.tokens.refresh)).data!.user_refresh.refresh!;
    const latest = (await refresh(service, successor)).data!.user_refresh.refresh!;
    clock.advance(11);
    expect(codeOf(await refresh(service, user.tokens.refresh))).toBe('UNAUTHENTICATED');
    // The thief's replay killed the session for the legitimate holder too.
    expect(codeOf(await refresh(service, latest))).toBe('UNAUTHENTICATED');
    expect((await sessionOf(service, latest)).session.revokedReason).toBe('reuse');
  });
});
