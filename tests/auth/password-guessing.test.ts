// Every way to test a password is one limited, counted guess: login, and the old password of a
// password change. The limit counts login texts as the database compares them, and answers alike
// for known and unknown names; passwords longer than bcrypt reads are refused everywhere alike.
import bcrypt from 'bcrypt';
import { CHANGE_MESSAGES } from '../../src/auth/password-changes';
import { PASSWORD_MESSAGES } from '../../src/auth/password-policy';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CHANGE_PASSWORD, LOGIN, REGISTER } from '../support/operations';
import { startTestService, type GraphQLResponse, type TestService } from '../support/service';

const PASSWORD = 'a long enough password';

let db: TestDatabase;
let service: TestService;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { env: { RATE_LIMIT_LOGIN: '3/15m' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

type Tokens = { access: string; refresh: string };
let users = 0;
async function newUser(password = PASSWORD): Promise<{ id: number; username: string; email: string; tokens: Tokens }> {
  users += 1;
  const username = `guessed${users}`;
  const email = `${username}@example.com`;
  const res = await service.gql<{ user_register: { id: number; tokens: Tokens } }>(REGISTER, { arg: { username, email, password } });
  expect(res.errors).toBeUndefined();
  return { id: res.data!.user_register.id, username, email, tokens: res.data!.user_register.tokens };
}
const login = (username: string, password: string) => service.gql<{ user_login: Tokens }>(LOGIN, { arg: { username, password } });
const change = (access: string, oldPassword: string, newPassword: string) =>
  service.gql(CHANGE_PASSWORD, { arg: { old_password: oldPassword, new_password: newPassword } }, { authorization: `Bearer ${access}` });
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
/** The user's bcrypt hash; these users registered with a password, so there is one. */
const storedHash = async (id: number): Promise<string> => {
  const { passwordHash } = await service.services.db.prisma.user.findUniqueOrThrow({ where: { id } });
  if (passwordHash === null) throw new Error(`user ${id} has no password`);
  return passwordHash;
};
const loginFailures = async () => Number(/^auth_login_failures_total (\d+)$/m.exec(await service.metricsText())?.[1]);

describe('the old password of a password change', () => {
  it('is refused once the account’s login is locked, even when right, and the password stays', async () => {
    const user = await newUser();
    for (let i = 0; i < 3; i++) expect(codeOf(await login(user.username, 'wrong password'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(user.username, PASSWORD))).toBe('TOO_MANY_REQUESTS');

    const before = await storedHash(user.id);
    expect(codeOf(await change(user.tokens.access, PASSWORD, 'a stolen new password'))).toBe('TOO_MANY_REQUESTS');
    expect(await storedHash(user.id)).toBe(before);
    expect(await bcrypt.compare(PASSWORD, await storedHash(user.id))).toBe(true);
  });

  it('counts its wrong guesses against the login limit of the account (username and email) and as login failures', async () => {
    const user = await newUser();
    const failuresBefore = await loginFailures();
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => change(user.tokens.access, `guess number ${i}`, 'a stolen new password')));
    const codes = guesses.map(codeOf);
    // At most three wrong guesses are answered as such (parallel guesses cannot overshoot the
    // limit); every other one is refused by it.
    const answered = codes.filter((c) => c === 'BAD_USER_INPUT').length;
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(answered).toBeLessThanOrEqual(3);
    expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(12 - answered);
    for (const res of guesses.filter((r) => codeOf(r) === 'BAD_USER_INPUT')) {
      expect(res.errors?.[0]?.extensions?.fields?.old_password).toEqual([CHANGE_MESSAGES.oldIncorrect]);
    }
    expect(await loginFailures()).toBe(failuresBefore + answered);
    // The right password now changes nothing, and logging in is locked too, by username and by email.
    expect(codeOf(await change(user.tokens.access, PASSWORD, 'a stolen new password'))).toBe('TOO_MANY_REQUESTS');
    expect(codeOf(await login(user.username, PASSWORD))).toBe('TOO_MANY_REQUESTS');
    expect(codeOf(await login(user.email, PASSWORD))).toBe('TOO_MANY_REQUESTS');
    expect(await bcrypt.compare(PASSWORD, await storedHash(user.id))).toBe(true);
  });

  it('when right, clears the count like a successful login', async () => {
    const user = await newUser();
    for (let i = 0; i < 2; i++) expect(codeOf(await change(user.tokens.access, 'wrong old', 'a brand new passphrase'))).toBe('BAD_USER_INPUT');
    expect((await change(user.tokens.access, PASSWORD, 'a brand new passphrase')).errors).toBeUndefined();
    for (let i = 0; i < 3; i++) expect(codeOf(await login(user.username, 'wrong password'))).toBe('UNAUTHENTICATED');
  });
});

describe('the login limit', () => {
  /** The answers to four wrong passwords and then the right one. */
  async function answers(loginText: string, password: string): Promise<(string | undefined)[]> {
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) codes.push(codeOf(await login(loginText, 'wrong password')));
    codes.push(codeOf(await login(loginText, password)));
    return codes;
  }

  it('answers alike for a known username, a known email and an unknown name', async () => {
    const user = await newUser();
    const expected = ['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS'];
    expect(await answers(user.username, PASSWORD)).toEqual(expected);
    expect(await answers(user.email, PASSWORD)).toEqual(expected);
    expect(await answers('nobody-by-that-name', PASSWORD)).toEqual(expected);
    expect(await answers('nobody@example.com', PASSWORD)).toEqual(expected);
  });

  it('does not link a username to its email: failures on one leave the other as fresh as an unknown name', async () => {
    const user = await newUser();
    for (let i = 0; i < 3; i++) await login(user.username, 'wrong password');
    expect(codeOf(await login(user.username, PASSWORD))).toBe('TOO_MANY_REQUESTS');
    // The email's count is its own: the limit says nothing about which email the username has.
    expect((await login(user.email, PASSWORD)).errors).toBeUndefined();
  });

  it('counts a text in every letter case together, as the database compares it', async () => {
    const user = await newUser();
    expect(codeOf(await login(user.username, 'wrong password'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(user.username.toUpperCase(), 'wrong password'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(` ${user.username[0]!.toUpperCase()}${user.username.slice(1)} `, 'wrong password'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(user.username, PASSWORD))).toBe('TOO_MANY_REQUESTS');
  });
});

describe('a password longer than 72 bytes', () => {
  // bcrypt reads 72 bytes: the first 72 are the real password, the rest would be ignored.
  const real = 'x'.repeat(60) + ' long enough';
  const longer = `${real}IGNORED-BY-BCRYPT`;

  it('is refused by login exactly as by registration, even when its first 72 bytes are the password', async () => {
    expect(Buffer.byteLength(real)).toBe(72);
    const user = await newUser(real);
    const res = await login(user.username, longer);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.fields).toEqual({ password: [PASSWORD_MESSAGES.tooLong] });
    const registered = await service.gql(REGISTER, { arg: { username: 'toolong', email: 'toolong@example.com', password: longer } });
    expect(registered.errors?.[0]?.extensions?.fields?.password).toContain(PASSWORD_MESSAGES.tooLong);
    expect((await login(user.username, real)).errors).toBeUndefined();
  });

  it('is refused as an old password with the same message', async () => {
    const user = await newUser(real);
    const res = await change(user.tokens.access, longer, 'a brand new passphrase');
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { old_password: [PASSWORD_MESSAGES.tooLong] } });
  });
});
