// Two-step sign-in with TOTP and recovery codes, through the GraphQL API of a real service on a
// real database. Codes are computed here from RFC 6238 (tests/support/totp.ts), time moves with
// the injectable clock.
import jwt from 'jsonwebtoken';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { allStoredValues } from '../support/dump';
import { LOGIN, LOGIN_MFA, MFA_DISABLE, REFRESH, REGISTER, TOTP_ENABLE, TOTP_SETUP } from '../support/operations';
import { startTestService, TestClock, type GraphQLResponse, type TestService } from '../support/service';
import { base32Decode, hotp, totpFor } from '../support/totp';

let db: TestDatabase;
let service: TestService;
const clock = new TestClock(new Date('2026-12-02T09:00:10Z'));

beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { clock, env: { RATE_LIMIT_MFA_ATTEMPT: '5/15m' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

type Tokens = { access: string; refresh: string };

const PASSWORD = 'a long enough passphrase';

async function register(username: string): Promise<Tokens> {
  const res = await service.gql<{ user_register: { tokens: Tokens } }>(REGISTER, {
    arg: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.user_register.tokens;
}

const bearer = (tokens: Tokens) => ({ authorization: `Bearer ${tokens.access}` });

function login(username: string, password = PASSWORD) {
  return service.gql<{ user_login: Tokens }>(LOGIN, { arg: { username, password } });
}

/** The ticket of an MFA_REQUIRED answer (and that it is one). */
async function ticketFor(username: string): Promise<string> {
  const res = await login(username);
  expect(res.errors?.[0]?.extensions?.code).toBe('MFA_REQUIRED');
  expect(res.data).toBeNull();
  const ticket = (res.errors?.[0]?.extensions as { ticket?: string } | undefined)?.ticket;
  expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return ticket!;
}

function loginMfa(ticket: string, code: string) {
  return service.gql<{ user_login_mfa: Tokens }>(LOGIN_MFA, { arg: { ticket, code } });
}

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const amrOf = (access: string) => (jwt.decode(access) as { amr: string[] }).amr;

/** A user with TOTP on: its secret and recovery codes. Moves the clock past the enabling step. */
async function userWithTotp(username: string): Promise<{ secret: string; recovery: string[]; tokens: Tokens }> {
  const tokens = await register(username);
  const setup = await service.gql<{ user_mfa_totp_setup: { secret: string } }>(TOTP_SETUP, {}, bearer(tokens));
  expect(setup.errors).toBeUndefined();
  const secret = setup.data!.user_mfa_totp_setup.secret;
  const enabled = await service.gql<{ user_mfa_totp_enable: { codes: string[] } }>(TOTP_ENABLE, { arg: { code: totpFor(secret, clock.now()) } }, bearer(tokens));
  expect(enabled.errors).toBeUndefined();
  clock.advance(90);
  return { secret, recovery: enabled.data!.user_mfa_totp_enable.codes, tokens };
}

describe('the RFC 6238 generator the tests use', () => {
  // RFC 6238 appendix B, SHA-1, eight digits; the key is the ASCII string "12345678901234567890".
  const key = Buffer.from('12345678901234567890', 'ascii');
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('gives the published code at T = %i', (seconds, code) => {
    expect(hotp(key, Math.floor(seconds / 30), 8)).toBe(code);
  });

  it('reads base32 secrets as otpauth:// URLs carry them', () => {
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString('ascii')).toBe('12345678901234567890');
  });
});

describe('setting TOTP up', () => {
  it('gives a secret, an otpauth:// URL naming the app and the user, and an SVG QR code', async () => {
    const tokens = await register('setup_user');
    const res = await service.gql<{ user_mfa_totp_setup: { secret: string; otpauth_url: string; qr_svg: string } }>(TOTP_SETUP, {}, bearer(tokens));
    expect(res.errors).toBeUndefined();
    const setup = res.data!.user_mfa_totp_setup;
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(setup.secret)).toHaveLength(20);
    const url = new URL(setup.otpauth_url);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/${service.config.email.appName}:setup_user`);
    expect(url.searchParams.get('secret')).toBe(setup.secret);
    expect(url.searchParams.get('issuer')).toBe(service.config.email.appName);
    expect(setup.qr_svg).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
  });

  it('needs an access token', async () => {
    const res = await service.gql(TOTP_SETUP);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('is turned on by a first code, which hands out ten recovery codes once', async () => {
    const tokens = await register('enable_user');
    const setup = await service.gql<{ user_mfa_totp_setup: { secret: string } }>(TOTP_SETUP, {}, bearer(tokens));
    const secret = setup.data!.user_mfa_totp_setup.secret;

    // Before a code confirms it, the password alone still signs in.
    expect((await login('enable_user')).errors).toBeUndefined();

    const wrong = await service.gql(TOTP_ENABLE, { arg: { code: totpFor(secret, clock.now(), 3) } }, bearer(tokens));
    expect(codeOf(wrong)).toBe('INVALID_TOKEN');

    const res = await service.gql<{ user_mfa_totp_enable: { codes: string[] } }>(TOTP_ENABLE, { arg: { code: totpFor(secret, clock.now()) } }, bearer(tokens));
    expect(res.errors).toBeUndefined();
    const codes = res.data!.user_mfa_totp_enable.codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);

    // On once: neither a second enable nor a new setup (which would swap the authenticator).
    expect(codeOf(await service.gql(TOTP_ENABLE, { arg: { code: totpFor(secret, clock.now()) } }, bearer(tokens)))).toBe('FORBIDDEN');
    expect(codeOf(await service.gql(TOTP_SETUP, {}, bearer(tokens)))).toBe('FORBIDDEN');
    clock.advance(90);
  });

  it('stores neither the secret nor any recovery code in plain text', async () => {
    const { secret, recovery } = await userWithTotp('scan_user');
    const raw = base32Decode(secret);
    const needles = [
      secret,
      secret.toLowerCase(),
      raw.toString('hex'),
      raw.toString('base64'),
      raw.toString('base64url'),
      ...recovery,
      ...recovery.map((c) => c.replace('-', '')),
      ...recovery.map((c) => c.toLowerCase()),
    ];
    const values = await allStoredValues(service.services.db.pool);
    expect(values.some((v) => v.table === 'user_totp')).toBe(true);
    expect(values.filter((v) => v.table === 'mfa_recovery_codes' && v.column === 'code_hash').length).toBeGreaterThanOrEqual(10);
    const leaks = values.filter((v) => needles.some((needle) => v.value.includes(needle)));
    expect(leaks).toEqual([]);
    // bytea as PostgreSQL prints it (\x…) is hex: the raw secret is not in there either.
    const totpRow = values.find((v) => v.table === 'user_totp' && v.column === 'secret');
    expect(totpRow?.value.startsWith('\\x')).toBe(true);
    expect(totpRow?.value).not.toContain(raw.toString('hex'));
  });
});

describe('signing in with TOTP on', () => {
  let secret: string;
  let recovery: string[];

  beforeAll(async () => {
    ({ secret, recovery } = await userWithTotp('erin'));
  });

  it('answers MFA_REQUIRED with a ticket for the right password, and no tokens', async () => {
    const res = await login('erin');
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'MFA_REQUIRED', ticket: expect.any(String), expiresAt: expect.any(String) });
    expect(new Date(String((res.errors?.[0]?.extensions as { expiresAt: string }).expiresAt)).getTime()).toBe(clock.now().getTime() + 300_000);
  });

  it('never answers MFA_REQUIRED for a wrong password: UNAUTHENTICATED, as for anyone', async () => {
    const wrong = await login('erin', 'not the password at all');
    const unknown = await login('nobody-at-all', 'not the password at all');
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    expect(wrong.errors?.[0]).toEqual(unknown.errors?.[0]);
    expect(JSON.stringify(wrong)).not.toContain('ticket');
  });

  it('gives tokens for the ticket and the current code, with amr pwd + otp kept across a refresh', async () => {
    const res = await loginMfa(await ticketFor('erin'), totpFor(secret, clock.now()));
    expect(res.errors).toBeUndefined();
    const tokens = res.data!.user_login_mfa;
    expect(amrOf(tokens.access)).toEqual(['pwd', 'otp']);
    const refreshed = await service.gql<{ user_refresh: { access: string } }>(REFRESH, { arg: { refresh: tokens.refresh } });
    expect(amrOf(refreshed.data!.user_refresh.access)).toEqual(['pwd', 'otp']);
    clock.advance(90);
  });

  it.each([
    ['one step late', -1],
    ['one step early', 1],
  ])('accepts a code %s', async (_name, steps) => {
    const res = await loginMfa(await ticketFor('erin'), totpFor(secret, clock.now(), steps));
    expect(res.errors).toBeUndefined();
    expect(amrOf(res.data!.user_login_mfa.access)).toEqual(['pwd', 'otp']);
    clock.advance(120);
  });

  it.each([
    ['two steps late', -2],
    ['two steps early', 2],
  ])('refuses a code %s', async (_name, steps) => {
    const ticket = await ticketFor('erin');
    const res = await loginMfa(ticket, totpFor(secret, clock.now(), steps));
    expect(codeOf(res)).toBe('INVALID_TOKEN');
    // A wrong code leaves the ticket for another try.
    expect((await loginMfa(ticket, totpFor(secret, clock.now()))).errors).toBeUndefined();
    clock.advance(90);
  });

  it('accepts a code once: the same code again, even within its window, is refused', async () => {
    const code = totpFor(secret, clock.now());
    expect((await loginMfa(await ticketFor('erin'), code)).errors).toBeUndefined();
    clock.advance(10);
    expect(codeOf(await loginMfa(await ticketFor('erin'), code))).toBe('INVALID_TOKEN');
    // Nor the code of the step before, once a later one was used.
    expect(codeOf(await loginMfa(await ticketFor('erin'), totpFor(secret, clock.now(), -1)))).toBe('INVALID_TOKEN');
    clock.advance(90);
  });

  it('accepts each recovery code once, in any letter case, with or without the dash', async () => {
    const [first, second] = recovery as [string, string];
    const res = await loginMfa(await ticketFor('erin'), first);
    expect(res.errors).toBeUndefined();
    expect(amrOf(res.data!.user_login_mfa.access)).toEqual(['pwd', 'otp']);
    expect(codeOf(await loginMfa(await ticketFor('erin'), first))).toBe('INVALID_TOKEN');
    expect(codeOf(await loginMfa(await ticketFor('erin'), first.toLowerCase().replace('-', '')))).toBe('INVALID_TOKEN');
    expect((await loginMfa(await ticketFor('erin'), ` ${second.toLowerCase().replace('-', '')} `)).errors).toBeUndefined();
  });

  it('uses a ticket once', async () => {
    const ticket = await ticketFor('erin');
    expect((await loginMfa(ticket, totpFor(secret, clock.now()))).errors).toBeUndefined();
    clock.advance(60);
    const again = await loginMfa(ticket, totpFor(secret, clock.now()));
    expect(codeOf(again)).toBe('UNAUTHENTICATED');
  });

  it('lets a ticket expire after five minutes', async () => {
    const ticket = await ticketFor('erin');
    clock.advance(301);
    expect(codeOf(await loginMfa(ticket, totpFor(secret, clock.now())))).toBe('UNAUTHENTICATED');
    const fresh = await ticketFor('erin');
    clock.advance(299);
    expect((await loginMfa(fresh, totpFor(secret, clock.now()))).errors).toBeUndefined();
    clock.advance(90);
  });

  it('refuses made-up tickets', async () => {
    expect(codeOf(await loginMfa('x'.repeat(43), totpFor(secret, clock.now())))).toBe('UNAUTHENTICATED');
    expect(codeOf(await loginMfa('not a ticket', '123456'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await loginMfa('', ''))).toBe('BAD_USER_INPUT');
  });
});

describe('attempts', () => {
  it('are limited per account: after five wrong codes even the right one waits', async () => {
    const { secret } = await userWithTotp('guesser');
    const ticket = await ticketFor('guesser');
    const right = totpFor(secret, clock.now());
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expect(codeOf(await loginMfa(ticket, wrong))).toBe('INVALID_TOKEN');
    const limited = await loginMfa(ticket, right);
    expect(codeOf(limited)).toBe('TOO_MANY_REQUESTS');
    expect(limited.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
    // Another account is not affected.
    const other = await userWithTotp('bystander');
    expect((await loginMfa(await ticketFor('bystander'), totpFor(other.secret, clock.now()))).errors).toBeUndefined();
  });
});

describe('turning TOTP off', () => {
  it('needs a current code or a recovery code; then the password alone signs in again (amr pwd)', async () => {
    const { secret, recovery, tokens } = await userWithTotp('frank');
    expect(codeOf(await service.gql(MFA_DISABLE, { arg: { code: totpFor(secret, clock.now(), 5) } }, bearer(tokens)))).toBe('INVALID_TOKEN');
    expect(codeOf(await service.gql(MFA_DISABLE, { arg: { code: recovery[0] } }))).toBe('UNAUTHENTICATED');
    const res = await service.gql(MFA_DISABLE, { arg: { code: recovery[0] } }, bearer(tokens));
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ user_mfa_disable: { status: 'OK' } });

    const plain = await login('frank');
    expect(plain.errors).toBeUndefined();
    expect(amrOf(plain.data!.user_login.access)).toEqual(['pwd']);
    expect(await service.services.db.prisma.mfaRecoveryCode.count({ where: { user: { username: 'frank' } } })).toBe(0);
    expect(codeOf(await service.gql(MFA_DISABLE, { arg: { code: totpFor(secret, clock.now()) } }, bearer(tokens)))).toBe('FORBIDDEN');
  });

  it('works with a current TOTP code too', async () => {
    const { secret, tokens } = await userWithTotp('gina');
    expect((await service.gql(MFA_DISABLE, { arg: { code: totpFor(secret, clock.now()) } }, bearer(tokens))).errors).toBeUndefined();
    expect((await login('gina')).errors).toBeUndefined();
  });
});

describe('amr on password sign-ins without a second factor', () => {
  it('is ["pwd"] at registration, login and refresh', async () => {
    const tokens = await register('henry');
    expect(amrOf(tokens.access)).toEqual(['pwd']);
    const res = await login('henry');
    expect(amrOf(res.data!.user_login.access)).toEqual(['pwd']);
    const refreshed = await service.gql<{ user_refresh: { access: string } }>(REFRESH, { arg: { refresh: res.data!.user_login.refresh } });
    expect(amrOf(refreshed.data!.user_refresh.access)).toEqual(['pwd']);
  });
});
