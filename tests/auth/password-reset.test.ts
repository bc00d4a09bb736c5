// Password reset: the request answers alike for every email, the token is nowhere in the
// database, and it works once, for one email, until it expires or the password changes.
import { DEFAULT_MIN_REQUEST_MILLIS, DEFAULT_REQUEST_INTERVAL } from '../../src/auth/password-resets';
import { PASSWORD_MESSAGES } from '../../src/auth/password-policy';
import {
  ChangePasswordDocument,
  LoginDocument,
  RefreshDocument,
  ResetConfirmDocument,
  ResetDocument,
  ResetValidateDocument,
} from '../generated/graphql';
import { allStoredValues, dumpDatabase } from '../support/dump';
import { bearer, PASSWORD } from '../support/fixtures';
import { codeOf, TestClock } from '../support/service';
import { setupTestService } from '../support/setup';

const NEW_PASSWORD = 'a brand new passphrase';
const TTL = 3600;

const clock = new TestClock();
// The token scan tries every stored value; rate-limit tests cover the attempt limit.
const t = setupTestService({ clock, env: { PASSWORD_RESET_TTL: `${TTL}s`, RATE_LIMIT_RESET_ATTEMPT: 'off' } });

const newUser = () => t.users.register({ prefix: 'resetter' });
const requestReset = (email: string) => t.service.request(ResetDocument, { arg: { email } });
const validate = (email: string, token: string) => t.service.request(ResetValidateDocument, { arg: { email, token } });
const confirm = (email: string, token: string, password = NEW_PASSWORD) =>
  t.service.request(ResetConfirmDocument, { arg: { email, token, password } });
const login = (username: string, password: string) => t.service.request(LoginDocument, { arg: { username, password } });
const refresh = (token: string) => t.service.request(RefreshDocument, { arg: { refresh: token } });
const prisma = () => t.service.services.db.prisma;
const dump = () => dumpDatabase(t.service.services.db.pool);
const requestsOf = (userId: number) => prisma().passwordResetRequest.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });

/** What the email webhook will do: derive the token from the newest request row of the user. */
async function emailedToken(userId: number): Promise<string> {
  const rows = await requestsOf(userId);
  const row = rows[rows.length - 1];
  if (!row) throw new Error(`no reset request for user ${userId}`);
  return t.service.services.resetTokens.tokenFor({ id: row.id, userId: row.userId });
}

/** A user who asked for a reset, with the token their email would carry. */
async function userWithToken() {
  const user = await newUser();
  expect((await requestReset(user.email)).data).toEqual({ user_password_reset: { status: 'OK' } });
  return { ...user, token: await emailedToken(user.id) };
}

describe('user_password_reset', () => {
  it('gives a known, an unknown and an inactive email the same answer; records a request only for the known active one', async () => {
    const known = await newUser();
    const inactive = await newUser();
    await t.users.deactivate(inactive.id);

    const answers = [await requestReset(known.email), await requestReset('nobody@example.com'), await requestReset(inactive.email)];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({ user_password_reset: { status: 'OK' } });
    }
    const rows = await requestsOf(known.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.expiresAt.getTime() - rows[0]!.createdAt.getTime()).toBe(TTL * 1000);
    expect(rows[0]).toMatchObject({ usedAt: null, resetSent: false });
    expect(await requestsOf(inactive.id)).toHaveLength(0);
    expect(await prisma().passwordResetRequest.count()).toBe(1);
  });

  it('takes about the same time for a known and an unknown email', async () => {
    const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
    for (let i = 0; i < 5; i += 1) {
      const user = await newUser();
      for (const [kind, email] of [['known', user.email], ['unknown', `nobody${i}@example.com`]] as const) {
        const started = performance.now();
        await requestReset(email);
        times[kind].push(performance.now() - started);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    // Both wait out the same floor, which hides the difference of one inserted row (a few ms);
    // the tolerance on the medians is for a busy test machine, not for the service.
    for (const t of [...times.known, ...times.unknown]) expect(t).toBeGreaterThanOrEqual(DEFAULT_MIN_REQUEST_MILLIS - 1);
    expect(Math.abs(median(times.known) - median(times.unknown))).toBeLessThan(100);
  });

  it('matches the email in any letter case', async () => {
    const user = await newUser();
    await requestReset(user.email.toUpperCase());
    expect(await requestsOf(user.id)).toHaveLength(1);
    expect(codeOf(await validate(user.email.toUpperCase(), await emailedToken(user.id)))).toBeUndefined();
  });

  it('refuses a malformed email with BAD_USER_INPUT on email', async () => {
    for (const email of ['', 'not-an-email', 'a@b.co\r\nBcc: x@example.com']) {
      const res = await requestReset(email);
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { email: [expect.any(String)] } });
    }
  });

  it(`records at most one request per user per ${DEFAULT_REQUEST_INTERVAL} s, so nobody's inbox can be flooded`, async () => {
    const user = await newUser();
    await requestReset(user.email);
    await requestReset(user.email);
    expect(await requestsOf(user.id)).toHaveLength(1);
    clock.advance(DEFAULT_REQUEST_INTERVAL + 1);
    await requestReset(user.email);
    expect(await requestsOf(user.id)).toHaveLength(2);
  });
});

describe('the token', () => {
  it('has at least 128 bits', async () => {
    const { token } = await userWithToken();
    // base64url: 6 bits per character.
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length * 6).toBeGreaterThanOrEqual(128);
  });

  it('is stored nowhere: no value in any column of any table works as the token or contains it', async () => {
    const user = await userWithToken();
    const values = await allStoredValues(t.service.services.db.pool);
    expect(values.some((v) => v.table === 'password_reset_requests')).toBe(true);
    for (const { value } of values) expect(value).not.toContain(user.token);
    const candidates = [...new Set(values.map((v) => v.value))].filter((v) => v.trim() !== '');
    for (const candidate of candidates) {
      expect([candidate, codeOf(await validate(user.email, candidate))]).toEqual([candidate, 'INVALID_TOKEN']);
    }
    // The scan would have noticed: the real token works for this email.
    expect(codeOf(await validate(user.email, user.token))).toBeUndefined();
  });

  it('works once', async () => {
    const user = await userWithToken();
    // Validating does not use it up.
    expect((await validate(user.email, user.token)).data).toEqual({ user_password_reset_validate: { status: 'OK' } });
    expect(codeOf(await validate(user.email, user.token))).toBeUndefined();

    expect((await confirm(user.email, user.token)).data).toEqual({ user_password_reset_confirm: { status: 'OK' } });
    expect(codeOf(await login(user.username, NEW_PASSWORD))).toBeUndefined();
    expect(codeOf(await login(user.username, PASSWORD))).toBe('UNAUTHENTICATED');

    expect(codeOf(await validate(user.email, user.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, user.token, 'yet another passphrase'))).toBe('INVALID_TOKEN');
    expect(codeOf(await login(user.username, NEW_PASSWORD))).toBeUndefined();
  });

  it('of two simultaneous confirms with one token, exactly one succeeds', async () => {
    const user = await userWithToken();
    const results = await Promise.all([confirm(user.email, user.token, 'first racing passphrase'), confirm(user.email, user.token, 'second racing passphrase')]);
    expect(results.map(codeOf).sort()).toEqual(['INVALID_TOKEN', undefined]);
    const winner = results[0]!.data ? 'first racing passphrase' : 'second racing passphrase';
    expect(codeOf(await login(user.username, winner))).toBeUndefined();
  });

  it('fails for another email, even one with its own live request', async () => {
    const alice = await userWithToken();
    const bob = await userWithToken();
    const before = await dump();
    expect(codeOf(await validate(bob.email, alice.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(bob.email, alice.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm('nobody@example.com', alice.token))).toBe('INVALID_TOKEN');
    expect(await dump()).toEqual(before);
    expect(codeOf(await validate(alice.email, alice.token))).toBeUndefined();
  });

  it('fails when wrong, however it is wrong', async () => {
    const user = await userWithToken();
    const flipped = (user.token[0] === 'A' ? 'B' : 'A') + user.token.slice(1);
    for (const token of [flipped, user.token.slice(1), user.token + 'A', user.token.toUpperCase(), ` ${user.token}`]) {
      expect([token, codeOf(await validate(user.email, token))]).toEqual([token, 'INVALID_TOKEN']);
    }
  });

  it('fails after it expires (PASSWORD_RESET_TTL)', async () => {
    const user = await userWithToken();
    clock.advance(TTL - 1);
    expect(codeOf(await validate(user.email, user.token))).toBeUndefined();
    clock.advance(1);
    expect(codeOf(await validate(user.email, user.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, user.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await login(user.username, PASSWORD))).toBeUndefined();
  });

  it('fails after the password was changed with user_change_password', async () => {
    const user = await userWithToken();
    const changed = await t.service.request(ChangePasswordDocument, { arg: { old_password: PASSWORD, new_password: NEW_PASSWORD } }, bearer(user.tokens.access));
    expect(changed.errors).toBeUndefined();
    expect(codeOf(await validate(user.email, user.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, user.token, 'attacker passphrase'))).toBe('INVALID_TOKEN');
    expect(codeOf(await login(user.username, NEW_PASSWORD))).toBeUndefined();
  });

  it('fails after the password was reset with another token', async () => {
    const user = await userWithToken();
    clock.advance(DEFAULT_REQUEST_INTERVAL + 1);
    await requestReset(user.email);
    const second = await emailedToken(user.id);
    expect(second).not.toBe(user.token);
    expect(codeOf(await confirm(user.email, second))).toBeUndefined();
    expect(codeOf(await validate(user.email, user.token))).toBe('INVALID_TOKEN');
    expect((await requestsOf(user.id)).every((r) => r.usedAt !== null)).toBe(true);
  });

  it('fails after the password was set by a route that did not mark requests used', async () => {
    const user = await userWithToken();
    clock.advance(1);
    // As an operator's SQL would: a new hash and its time, nothing else.
    await prisma().user.update({
      where: { id: user.id },
      data: { passwordHash: await t.service.services.hasher.hash(NEW_PASSWORD), passwordChangedAt: clock.now() },
    });
    expect(codeOf(await validate(user.email, user.token))).toBe('INVALID_TOKEN');
  });

  it('fails once the user is deactivated', async () => {
    const user = await userWithToken();
    await t.users.deactivate(user.id);
    expect(codeOf(await validate(user.email, user.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, user.token))).toBe('INVALID_TOKEN');
  });

  it('blank fields are BAD_USER_INPUT', async () => {
    const res = await validate('', '');
    expect(res.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fields: { email: [expect.any(String)], token: [expect.any(String)] },
    });
  });
});

describe('user_password_reset_confirm', () => {
  it('ends every session of the user and marks all their requests used', async () => {
    const user = await userWithToken();
    const other = await t.users.signIn(user);
    expect(codeOf(await confirm(user.email, user.token))).toBeUndefined();

    expect(codeOf(await refresh(user.tokens.refresh))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(other.refresh))).toBe('UNAUTHENTICATED');
    const sessions = await prisma().session.findMany({ where: { userId: user.id } });
    expect(sessions.map((s) => s.revokedReason)).toEqual(['password_reset', 'password_reset']);
    const row = await prisma().user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordChangedAt).toEqual(clock.now());
  });

  it('applies the policy under password, and leaves the token usable for a better one', async () => {
    const user = await userWithToken();
    const before = await dump();
    const res = await confirm(user.email, user.token, '12345678');
    expect(res.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fields: { password: [PASSWORD_MESSAGES.numeric, PASSWORD_MESSAGES.common] },
    });
    const similar = await confirm(user.email, user.token, `${user.username}1`);
    expect(similar.errors?.[0]?.extensions?.fields?.password).toContain(PASSWORD_MESSAGES.similarToUsername);
    expect(await dump()).toEqual(before);
    expect(codeOf(await confirm(user.email, user.token))).toBeUndefined();
  });

  it('checks the token before the password: a bad token is INVALID_TOKEN whatever the password', async () => {
    const user = await userWithToken();
    expect(codeOf(await confirm(user.email, 'x'.repeat(43), '1'))).toBe('INVALID_TOKEN');
  });
});
