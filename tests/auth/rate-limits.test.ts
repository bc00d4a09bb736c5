// Rate limits live in PostgreSQL, so every instance of the service counts together. Each spec runs
// two instances on one database and spreads its requests over both.
//
// On the embedded database the "second instance" is the first one: PGlite is one session in one
// process (its data directory is locked to a single service), so two pools on it would trip over
// each other's prepared statements — a setup the service never runs in.
import { DEFAULT_REQUEST_INTERVAL } from '../../src/auth/password-resets';
import { LoginDocument, RegisterDocument, ResetConfirmDocument, ResetDocument, ResetValidateDocument } from '../generated/graphql';
import { PASSWORD, registerUser } from '../support/fixtures';
import { codeOf, TestClock, type GraphQLError, type TestService } from '../support/service';
import { setupTestDatabase, setupTestService } from '../support/setup';

const LIMITS = {
  // 3 failed logins per account per 15 minutes; 5 per client address.
  RATE_LIMIT_LOGIN: '3/15m',
  RATE_LIMIT_LOGIN_PER_CLIENT: '5/15m',
  RATE_LIMIT_REGISTER_PER_CLIENT: '2/1h',
  RATE_LIMIT_RESET_REQUEST: '2/1h',
  RATE_LIMIT_RESET_REQUEST_PER_CLIENT: '4/1h',
  RATE_LIMIT_RESET_ATTEMPT: '3/15m',
  // The test client stands in for a proxy that names the client in X-Forwarded-For.
  TRUST_PROXY: '1',
};

const clock = new TestClock();
const database = setupTestDatabase();
const one = setupTestService({ database, env: LIMITS, clock });
let other: TestService | undefined;
beforeAll(async () => {
  if (!database.db.embedded) other = await database.startService({ env: LIMITS, clock });
});
const first = () => one.service;
const second = () => other ?? one.service;
/** Alternates between the instances: consecutive requests never go to the same one. */
let turn = 0;
const next = () => (turn++ % 2 === 0 ? first() : second());

const retryAfterOf = (res: { errors?: GraphQLError[] }) => res.errors?.[0]?.extensions?.retryAfter;
/** A client address of its own for each spec, so per-client counts do not leak between them. */
let clients = 0;
const newClient = () => ({ 'x-forwarded-for': `203.0.113.${++clients}` });

const newUser = () => registerUser(next(), { prefix: 'limited' }, newClient());
const login = (username: string, password: string, headers = newClient()) =>
  next().request(LoginDocument, { arg: { username, password } }, headers);

describe('failed logins per account', () => {
  it('are counted across instances; over the limit even the right password gets TOO_MANY_REQUESTS with retryAfter', async () => {
    const { username } = await newUser();
    for (let i = 0; i < 3; i++) expect(codeOf(await login(username, 'wrong password'))).toBe('UNAUTHENTICATED');

    const limited = await login(username, PASSWORD);
    expect(codeOf(limited)).toBe('TOO_MANY_REQUESTS');
    expect(limited.data).toBeNull();
    // Seconds until the 15-minute window that began with the first failure ends.
    expect(retryAfterOf(limited)).toEqual(expect.any(Number));
    expect(Number.isInteger(retryAfterOf(limited))).toBe(true);
    expect(retryAfterOf(limited)).toBeGreaterThan(0);
    expect(retryAfterOf(limited)).toBeLessThanOrEqual(15 * 60);
    // Still refused on the other instance.
    expect(codeOf(await login(username, PASSWORD))).toBe('TOO_MANY_REQUESTS');
  });

  it('count the username and the email of one account together, in any letter case', async () => {
    const { username, email } = await newUser();
    expect(codeOf(await login(username, 'wrong'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(email.toUpperCase(), 'wrong'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(username.toUpperCase(), 'wrong'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(email, PASSWORD))).toBe('TOO_MANY_REQUESTS');
  });

  it('are forgotten after a successful login', async () => {
    const { username } = await newUser();
    for (let i = 0; i < 2; i++) expect(codeOf(await login(username, 'wrong password'))).toBe('UNAUTHENTICATED');
    expect((await login(username, PASSWORD)).errors).toBeUndefined();
    // A fresh allowance of 3 failures, whichever instance counts them.
    for (let i = 0; i < 3; i++) expect(codeOf(await login(username, 'wrong password'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(username, PASSWORD))).toBe('TOO_MANY_REQUESTS');
  });

  it('apply to unknown accounts alike, so the answer does not tell whether an account exists', async () => {
    for (let i = 0; i < 3; i++) expect(codeOf(await login('nobody-at-all', 'guess'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login('nobody-at-all', 'guess'))).toBe('TOO_MANY_REQUESTS');
  });

  it('do not touch other accounts', async () => {
    const victim = await newUser();
    const bystander = await newUser();
    for (let i = 0; i < 4; i++) await login(victim.username, 'wrong password');
    expect((await login(bystander.username, PASSWORD)).errors).toBeUndefined();
  });

  it('are counted in the metrics: login failures and limit hits', async () => {
    const { username } = await newUser();
    const failures = () => metric(/^auth_login_failures_total (\d+)$/m);
    const hits = () => metric(/^auth_rate_limit_hits_total\{limit="login"\} (\d+)$/m);
    const before = { failures: await failures(), hits: await hits() };
    for (let i = 0; i < 5; i++) await login(username, 'wrong password');
    expect(await failures()).toBe(before.failures + 3);
    expect(await hits()).toBe(before.hits + 2);
  });
});

describe('per client address (TRUST_PROXY)', () => {
  it('limits failed logins from one client across accounts (credential stuffing)', async () => {
    const client = newClient();
    const accounts = [await newUser(), await newUser(), await newUser()];
    // 5 failures from one address, spread over accounts so no account reaches its own limit.
    for (let i = 0; i < 5; i++) {
      expect(codeOf(await login(accounts[i % 3]!.username, 'wrong password', client))).toBe('UNAUTHENTICATED');
    }
    const limited = await login(accounts[0]!.username, PASSWORD, client);
    expect(codeOf(limited)).toBe('TOO_MANY_REQUESTS');
    expect(retryAfterOf(limited)).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await login(accounts[0]!.username, PASSWORD)).errors).toBeUndefined();
  });

  it('does not count successful logins against the client', async () => {
    const client = newClient();
    const { username } = await newUser();
    for (let i = 0; i < 8; i++) expect((await login(username, PASSWORD, client)).errors).toBeUndefined();
  });

  it('limits registrations per client, across instances', async () => {
    const client = newClient();
    const register = (name: string) =>
      next().request(RegisterDocument, { arg: { username: name, email: `${name}@example.com`, password: PASSWORD } }, client);
    expect((await register('signup-a')).errors).toBeUndefined();
    expect((await register('signup-b')).errors).toBeUndefined();
    const limited = await register('signup-c');
    expect(codeOf(limited)).toBe('TOO_MANY_REQUESTS');
    expect(retryAfterOf(limited)).toBeGreaterThan(0);
    expect(retryAfterOf(limited)).toBeLessThanOrEqual(3600);
    expect(await first().services.db.prisma.user.count({ where: { username: 'signup-c' } })).toBe(0);
    // Someone else can still sign up.
    expect((await next().request(RegisterDocument, { arg: { username: 'signup-d', email: 'signup-d@example.com', password: PASSWORD } }, newClient())).errors).toBeUndefined();
  });
});

describe('password reset requests per email', () => {
  const reset = (email: string, headers = newClient()) => next().request(ResetDocument, { arg: { email } }, headers);
  const requestsOf = (userId: number) => first().services.db.prisma.passwordResetRequest.count({ where: { userId } });

  it('over the limit, answer exactly as an accepted request does and record nothing', async () => {
    const { email, id } = await newUser();
    const accepted = [await reset(email)];
    // The service records one request per user per interval (password-reset.test.ts); step past it.
    clock.advance(DEFAULT_REQUEST_INTERVAL + 1);
    accepted.push(await reset(email.toUpperCase()));
    for (const answer of accepted) expect(answer).toEqual({ status: 200, data: { user_password_reset: { status: 'OK' } } });
    expect(await requestsOf(id)).toBe(2);

    const limited = await reset(email);
    expect(limited).toEqual(accepted[0]);
    expect(await requestsOf(id)).toBe(2);
    // And on the other instance.
    expect(await reset(email)).toEqual(accepted[0]);
    expect(await requestsOf(id)).toBe(2);
  });

  it('answer an unknown address the same way, before and after its limit', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await reset('nobody@example.com'));
    for (const answer of answers) expect(answer).toEqual({ status: 200, data: { user_password_reset: { status: 'OK' } } });
  });

  it('are also limited per client, silently', async () => {
    const client = newClient();
    const accounts = [await newUser(), await newUser(), await newUser(), await newUser(), await newUser()];
    for (const { email } of accounts) {
      expect(await reset(email, client)).toEqual({ status: 200, data: { user_password_reset: { status: 'OK' } } });
    }
    const recorded = await Promise.all(accounts.map(({ id }) => requestsOf(id)));
    expect(recorded).toEqual([1, 1, 1, 1, 0]);
  });
});

describe('reset token checks per email', () => {
  const wrongToken = 'A'.repeat(43);
  const validate = (email: string) => next().request(ResetValidateDocument, { arg: { email, token: wrongToken } }, newClient());
  const confirm = (email: string) =>
    next().request(ResetConfirmDocument, { arg: { email, token: wrongToken, password: 'a brand new password' } }, newClient());

  it('count validate and confirm together across instances, then answer TOO_MANY_REQUESTS with retryAfter', async () => {
    const { email } = await newUser();
    expect(codeOf(await validate(email))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(email))).toBe('INVALID_TOKEN');
    expect(codeOf(await validate(email.toUpperCase()))).toBe('INVALID_TOKEN');

    for (const limited of [await confirm(email), await validate(email)]) {
      expect(codeOf(limited)).toBe('TOO_MANY_REQUESTS');
      expect(retryAfterOf(limited)).toBeGreaterThan(0);
      expect(retryAfterOf(limited)).toBeLessThanOrEqual(15 * 60);
    }
    // Another address is not affected.
    const other = await newUser();
    expect(codeOf(await validate(other.email))).toBe('INVALID_TOKEN');
  });
});

describe('without TRUST_PROXY (the default)', () => {
  const direct = setupTestService({ database, env: { ...LIMITS, TRUST_PROXY: 'false' } });

  it('ignores X-Forwarded-For and limits nothing per client: behind Hasura every request comes from Hasura', async () => {
    const spoofed = { 'x-forwarded-for': '198.51.100.7' };
    for (const name of ['direct-a', 'direct-b', 'direct-c', 'direct-d']) {
      const res = await direct.service.request(RegisterDocument, { arg: { username: name, email: `${name}@example.com`, password: PASSWORD } }, spoofed);
      expect(res.errors).toBeUndefined();
    }
  });
});

/** A counter summed over both instances (each has its own registry). */
async function metric(pattern: RegExp): Promise<number> {
  const instances = other ? [first(), other] : [first()];
  let total = 0;
  for (const instance of instances) {
    const value = pattern.exec(await instance.metricsText())?.[1];
    if (value === undefined) throw new Error(`no ${pattern} in /metrics`);
    total += Number(value);
  }
  return total;
}
