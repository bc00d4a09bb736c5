// Registration and login as a user meets them: who may register, what a login accepts, and the
// answers that give nothing away.
import { LoginDocument, RegisterDocument, type UserRegister } from '../generated/graphql';
import { setupTestService } from '../support/setup';

const t = setupTestService();

const register = (arg: UserRegister) => t.service.request(RegisterDocument, { arg });
const login = (username: string, password: string) => t.service.request(LoginDocument, { arg: { username, password } });
const users = () => t.service.services.db.prisma.user;

describe('registration', () => {
  it('creates a user with the default role and signs it in', async () => {
    const res = await register({ username: 'Alice', email: 'Alice@Example.com', password: 'correct horse battery' });
    expect(res.errors).toBeUndefined();
    const user = res.data!.user_register;
    expect(user).toMatchObject({ username: 'Alice', email: 'Alice@Example.com' });
    expect(user.id).toBeGreaterThan(0);
    expect(user.tokens).not.toBeNull();
    expect(user.tokens!.access.split('.')).toHaveLength(3);
    expect(user.tokens!.refresh.length).toBeGreaterThanOrEqual(43);

    const row = await users().findUniqueOrThrow({ where: { id: user.id }, include: { role: true } });
    expect(row.role.name).toBe('user');
    expect(row.passwordHash).toMatch(/^\$2[aby]\$04\$/);
    expect(row.passwordHash).not.toContain('correct horse battery');
  });

  it('reports every bad field at once, by its plain name, and stores nothing', async () => {
    const before = await users().count();
    const res = await register({ username: 'bad name!', email: 'not-an-email', password: 'short' });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(Object.keys(res.errors?.[0]?.extensions?.fields ?? {}).sort()).toEqual(['email', 'password', 'username']);
    expect(await users().count()).toBe(before);
  });

  it('refuses a username or email already taken, in any letter case, naming the field', async () => {
    await register({ username: 'bob', email: 'bob@example.com', password: 'a fine password' });
    const sameName = await register({ username: 'BOB', email: 'other@example.com', password: 'a fine password' });
    expect(sameName.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { username: [expect.any(String)] } });
    const sameEmail = await register({ username: 'robert', email: 'Bob@EXAMPLE.com', password: 'a fine password' });
    expect(sameEmail.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { email: [expect.any(String)] } });
  });

  it.each([
    ['the same username', { username: 'racer', email: 'racer1@example.com' }, { username: 'racer', email: 'racer2@example.com' }, 'username'],
    ['the same email in another letter case', { username: 'racer3', email: 'race@example.com' }, { username: 'racer4', email: 'RACE@Example.COM' }, 'email'],
  ])('two simultaneous registrations with %s: exactly one succeeds', async (_, a, b, field) => {
    const results = await Promise.all([
      register({ ...a, password: 'a fine password' }),
      register({ ...b, password: 'a fine password' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const ok = results.filter((r) => r.data?.user_register);
    const failed = results.filter((r) => r.errors);
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { [field]: [expect.any(String)] } });
  });
});

describe('login', () => {
  beforeAll(async () => {
    await register({ username: 'Carol', email: 'carol@example.com', password: 'carols password' });
  });

  it.each(['Carol', 'carol', 'CAROL', 'carol@example.com', 'Carol@Example.COM'])('works with %s', async (name) => {
    const res = await login(name, 'carols password');
    expect(res.errors).toBeUndefined();
    expect(res.data!.user_login.access.split('.')).toHaveLength(3);
    expect(res.data!.user_login.refresh).toBeTruthy();
  });

  it('gives one generic UNAUTHENTICATED answer for a wrong password and an unknown account', async () => {
    const wrong = await login('carol', 'not her password');
    const unknown = await login('nobody', 'whatever password');
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
  });

  it('refuses a deactivated user with the same answer', async () => {
    const carol = await users().findUniqueOrThrow({ where: { username: 'Carol' } });
    await t.users.deactivate(carol.id);
    try {
      const res = await login('carol', 'carols password');
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.errors?.[0]?.message).toBe('Invalid username or password.');
    } finally {
      await t.users.reactivate(carol.id);
    }
  });

  it('prefers an exact username over another account whose email looks the same', async () => {
    await register({ username: 'dave@example.com', email: 'dave.real@example.com', password: 'username daves pw' });
    await register({ username: 'dave', email: 'dave@example.com', password: 'email daves pw' });
    expect((await login('dave@example.com', 'username daves pw')).errors).toBeUndefined();
    expect((await login('dave', 'email daves pw')).errors).toBeUndefined();
  });

  it('records the last login', async () => {
    await login('carol', 'carols password');
    const row = await users().findUniqueOrThrow({ where: { username: 'Carol' } });
    expect(row.lastLoginAt).toBeInstanceOf(Date);
  });
});
