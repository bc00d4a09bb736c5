// Usernames are ASCII letters, digits and . _ + -: never an email address, never a look-alike of
// another name. Registration refuses the rest, and so does the database (a rename through Hasura
// goes straight to it); login reads a text with `@` as an email and anything else as a username.
import { loadConfig, ConfigError } from '../../src/config';
import { USERNAME_MESSAGES } from '../../src/auth/usernames';
import { LOGIN, REGISTER } from '../support/operations';
import { TEST_AUTH_SECRET, TEST_JWT_KEY, TEST_WEBHOOK_SECRET, type GraphQLResponse } from '../support/service';
import { setupTestService } from '../support/setup';
import { hasuraVerify } from '../support/hasura-jwt';

const PASSWORD = 'a long enough password';

const t = setupTestService();

const register = (username: string, email: string) =>
  t.service.gql<{ user_register: { id: number } }>(REGISTER, { arg: { username, email, password: PASSWORD } });
const login = (username: string, password = PASSWORD) =>
  t.service.gql<{ user_login: { access: string } }>(LOGIN, { arg: { username, password } });
const usernameErrors = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.fields?.username;
const userIdOf = (access: string) => Number(hasuraVerify(access, { type: 'HS256', key: TEST_JWT_KEY }).variables['x-hasura-user-id']);

describe('a username', () => {
  it('may not be another account’s email address, in any letter case, nor contain @ at all', async () => {
    const victim = await register('ann', 'ann@example.com');
    expect(victim.errors).toBeUndefined();
    for (const name of ['ANN@EXAMPLE.COM', 'ann@example.com', 'someone@somewhere', 'a@b']) {
      const res = await register(name, `${name.replace(/@/g, '.at.')}x@example.net`.toLowerCase());
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(usernameErrors(res)).toEqual([USERNAME_MESSAGES.format]);
    }
    // The victim's email signs in to the victim's account, the only one it can name.
    const signedIn = await login('ANN@EXAMPLE.COM');
    expect(signedIn.errors).toBeUndefined();
    expect(userIdOf(signedIn.data!.user_login.access)).toBe(victim.data!.user_register.id);
  });

  it.each([
    ['fullwidth letters', 'ａｄｍｉｎ'],
    ['a Cyrillic а among Latin letters', '\u0430dmin'],
    ['a Greek ο', 'r\u03bfot'],
    ['an accented letter', 'jos\u00e9'],
    ['a zero-width joiner', 'ad\u200dmin'],
  ])('may not contain %s (look-alikes of other names)', async (_, name) => {
    const res = await register(name, `lookalike${Math.random().toString(36).slice(2)}@example.com`);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(usernameErrors(res)).toEqual([USERNAME_MESSAGES.format]);
  });

  it('keeps letters, digits and . _ + - of ASCII', async () => {
    const res = await register('Jo.Smith_2+x-y', 'jo.smith@example.com');
    expect(res.errors).toBeUndefined();
    expect((await login('jo.smith_2+X-Y')).errors).toBeUndefined();
  });

  it('cannot be renamed to an email address or a look-alike in the database either (what Hasura’s update runs)', async () => {
    const res = await register('renamer', 'renamer@example.com');
    const id = res.data!.user_register.id;
    for (const name of ['ann@example.com', 'ａｄｍｉｎ', '\u0430dmin', '']) {
      await expect(t.service.services.db.pool.query('UPDATE users SET username = $1 WHERE id = $2', [name, id])).rejects.toMatchObject({
        code: '23514',
        constraint: 'users_username_format',
      });
    }
    await t.service.services.db.pool.query('UPDATE users SET username = $1 WHERE id = $2', ['renamed.ok', id]);
    expect((await login('renamed.ok')).errors).toBeUndefined();
  });
});

describe('login', () => {
  it('matches a text with @ against emails only, and any other text against usernames only', async () => {
    const a = await register('bea', 'bea@example.com');
    const b = await register('beatrix', 'bea.trix@example.org');
    expect(userIdOf((await login('bea@example.com')).data!.user_login.access)).toBe(a.data!.user_register.id);
    expect(userIdOf((await login('BEATRIX')).data!.user_login.access)).toBe(b.data!.user_register.id);
    // A username typed where an email would be, or the reverse, names nobody.
    expect((await login('bea@example.org')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('reaches no account with text the database would fold onto an ASCII name (İ, K, ﬁ)', async () => {
    await register('kim', 'kim@example.com');
    await register('fi', 'fi@example.com');
    await register('ian', 'ian@example.com');
    // U+212A KELVIN SIGN, U+FB01 LATIN SMALL LIGATURE FI, U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE.
    for (const text of ['\u212aim', '\ufb01', '\u0130an']) {
      expect((await login(text)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('ADMIN_USERNAME', () => {
  it('follows the same rule', () => {
    const env = (name: string) => ({
      NODE_ENV: 'test' as const,
      AUTH_SECRET: TEST_AUTH_SECRET,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: TEST_JWT_KEY }),
      EVENT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      ADMIN_USERNAME: name,
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: PASSWORD,
    });
    expect(() => loadConfig({ envFile: false, env: env('admin@example.com') })).toThrow(ConfigError);
    expect(() => loadConfig({ envFile: false, env: env('ａｄｍｉｎ') })).toThrow(/ADMIN_USERNAME/);
    expect(loadConfig({ envFile: false, env: env('admin') }).admin?.username).toBe('admin');
  });
});
