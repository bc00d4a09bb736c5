// Sign-in by email end to end, as a user and Hasura live it: user_signin_email over GraphQL → the
// row it recorded → the event Hasura builds from that row → the webhook → an email on the SMTP
// server → its link token or its code accepted once by user_signin_email_confirm.
import jwt from 'jsonwebtoken';
import { DEFAULT_MIN_REQUEST_MILLIS, DEFAULT_REQUEST_INTERVAL, SIGNIN_CODE_ATTEMPTS, SIGNIN_EMAIL_TTL } from '../../src/auth/email-sign-ins';
import {
  LoginDocument,
  SigninEmailConfirmDocument,
  SigninEmailDocument,
  TotpEnableDocument,
  TotpSetupDocument,
} from '../generated/graphql';
import { allStoredValues } from '../support/dump';
import { bearer } from '../support/fixtures';
import { codeOf, TestClock } from '../support/service';
import { setupTestService } from '../support/setup';
import { firstAddress } from '../support/smtp';
import { totpFor } from '../support/totp';

const SIGNIN_URL = 'https://app.example.com/signin/email';

const clock = new TestClock(new Date('2026-12-02T10:00:00Z'));
const t = setupTestService({ mailbox: true, clock, env: { SIGNIN_EMAIL_URL: SIGNIN_URL, APP_NAME: 'Acme' } });
const prisma = () => t.service.services.db.prisma;

const ask = (email: string) => t.service.request(SigninEmailDocument, { arg: { email } });
const confirm = (email: string, token: string) => t.service.request(SigninEmailConfirmDocument, { arg: { email, token } });

/** Moves past the interval in which a second request for one address records nothing. */
const nextRequestWindow = () => clock.advance(DEFAULT_REQUEST_INTERVAL + 1);

interface SignInEmail {
  requestId: string;
  token: string;
  code: string;
  email: string;
  text: string;
  to: string | undefined;
  subject: string | undefined;
}

/** Asks for a sign-in email, has Hasura deliver the event, and reads the email that arrives. */
async function emailFor(address: string): Promise<SignInEmail> {
  nextRequestWindow();
  const asked = await ask(address);
  expect(asked.data?.user_signin_email).toEqual({ status: 'OK' });
  const row = await prisma().signInEmailRequest.findFirstOrThrow({ where: { email: address }, orderBy: { createdAt: 'desc' } });
  const before = t.mailbox.received.length;
  const event = await t.events.forRow('signin_email_requested', row.id);
  expect(await t.events.deliver('signin_email_requested', event)).toMatchObject({ status: 200, body: { status: 'sent' } });
  const mail = (await t.mailbox.waitFor(before + 1))[before]!;
  const text = mail.text ?? '';
  const link = new URL(new RegExp(`${SIGNIN_URL}\\S+`).exec(text)![0]);
  const code = /enter this code: (\d{6})/.exec(text)![1]!;
  return {
    requestId: row.id,
    token: link.searchParams.get('token')!,
    code,
    email: link.searchParams.get('email')!,
    text,
    to: firstAddress(mail.to),
    subject: mail.subject,
  };
}

const claimsOf = (access: string) => jwt.decode(access) as { sub: string; amr: string[]; 'https://hasura.io/jwt/claims': Record<string, string> };

describe('user_signin_email and user_signin_email_confirm', () => {
  it('emails a link and a code; the link signs in once, verifies the address, and nothing usable is stored', async () => {
    const user = await t.users.register({ username: 'linker', email: 'Linker@Example.com' });
    expect((await prisma().user.findUniqueOrThrow({ where: { id: user.id } })).emailVerifiedAt).toBeNull();

    const mail = await emailFor('linker@example.com');
    // To the account's address (the mail server may lower-case the domain), whatever case was typed.
    expect(mail.to?.toLowerCase()).toBe('linker@example.com');
    expect(mail.to?.startsWith('Linker@')).toBe(true);
    expect(mail.subject).toBe('Your Acme sign-in link');
    expect(mail.text).toContain('valid for 10 minutes');
    expect(mail.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    expect(mail.email).toBe('Linker@Example.com');

    // Neither the link token nor the code is in any table, hashed-looking or not, nor in the payload Hasura stores.
    const values = await allStoredValues(t.service.services.db.pool);
    expect(values.filter((v) => v.value.includes(mail.token) || v.value.includes(mail.code))).toEqual([]);
    expect(JSON.stringify(await t.events.forRow('signin_email_requested', mail.requestId))).not.toContain(mail.token);

    const signedIn = await confirm(mail.email, mail.token);
    expect(signedIn.errors).toBeUndefined();
    const claims = claimsOf(signedIn.data!.user_signin_email_confirm.access);
    expect(claims.sub).toBe(String(user.id));
    expect(claims.amr).toEqual(['email']);
    expect((await prisma().user.findUniqueOrThrow({ where: { id: user.id } })).emailVerifiedAt).toEqual(clock.now());

    // Once: the link and the code of the spent request are refused.
    expect(codeOf(await confirm(mail.email, mail.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(mail.email, mail.code))).toBe('INVALID_TOKEN');
  });

  it('the code signs in once, and the link of that request is spent with it', async () => {
    const user = await t.users.register({ username: 'coder' });
    const mail = await emailFor(user.email);
    const signedIn = await confirm(user.email, mail.code);
    expect(signedIn.errors).toBeUndefined();
    expect(claimsOf(signedIn.data!.user_signin_email_confirm.access).sub).toBe(String(user.id));
    expect(codeOf(await confirm(user.email, mail.code))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, mail.token))).toBe('INVALID_TOKEN');
  });

  it(`allows ${SIGNIN_CODE_ATTEMPTS} code attempts: the right code on the last one works`, async () => {
    const user = await t.users.register({ username: 'fumbler' });
    const mail = await emailFor(user.email);
    const wrong = mail.code === '000000' ? '000001' : '000000';
    for (let i = 1; i < SIGNIN_CODE_ATTEMPTS; i++) expect(codeOf(await confirm(user.email, wrong))).toBe('INVALID_TOKEN');
    expect((await confirm(user.email, mail.code)).errors).toBeUndefined();
  });

  it(`locks the request after ${SIGNIN_CODE_ATTEMPTS} wrong codes: neither the right code nor the link works then`, async () => {
    const user = await t.users.register({ username: 'guesser' });
    const mail = await emailFor(user.email);
    const wrong = mail.code === '000000' ? '000001' : '000000';
    for (let i = 0; i < SIGNIN_CODE_ATTEMPTS; i++) expect(codeOf(await confirm(user.email, wrong))).toBe('INVALID_TOKEN');
    // The 6th attempt, wrong or right, is refused: the request is locked.
    expect(codeOf(await confirm(user.email, wrong))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, mail.code))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, mail.token))).toBe('INVALID_TOKEN');
    expect((await prisma().signInEmailRequest.findUniqueOrThrow({ where: { id: mail.requestId } })).attempts).toBe(SIGNIN_CODE_ATTEMPTS);

    // A new request is a fresh start.
    const again = await emailFor(user.email);
    expect((await confirm(user.email, again.code)).errors).toBeUndefined();
  });

  it('counts parallel code guesses: no more than the allowed attempts are ever compared', async () => {
    const user = await t.users.register({ username: 'swarm' });
    const mail = await emailFor(user.email);
    const guesses = Array.from({ length: 20 }, (_, i) => String(i).padStart(6, '0')).filter((g) => g !== mail.code);
    await Promise.all(guesses.map((guess) => confirm(user.email, guess)));
    expect((await prisma().signInEmailRequest.findUniqueOrThrow({ where: { id: mail.requestId } })).attempts).toBe(SIGNIN_CODE_ATTEMPTS);
    expect(codeOf(await confirm(user.email, mail.code))).toBe('INVALID_TOKEN');
  });

  it(`expires: the link and the code work for ${SIGNIN_EMAIL_TTL / 60} minutes and not a moment longer`, async () => {
    const user = await t.users.register({ username: 'sleepy' });
    const first = await emailFor(user.email);
    clock.advance(SIGNIN_EMAIL_TTL - 1);
    expect((await confirm(user.email, first.token)).errors).toBeUndefined();

    const second = await emailFor(user.email);
    clock.advance(SIGNIN_EMAIL_TTL);
    expect(codeOf(await confirm(user.email, second.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, second.code))).toBe('INVALID_TOKEN');
  });

  it('a new request supersedes the older one: only the latest email works', async () => {
    const user = await t.users.register({ username: 'twice' });
    const older = await emailFor(user.email);
    const newer = await emailFor(user.email);
    expect(codeOf(await confirm(user.email, older.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm(user.email, older.code === newer.code ? '999999' : older.code))).toBe('INVALID_TOKEN');
    expect((await confirm(user.email, newer.token)).errors).toBeUndefined();
  });

  it(`records at most one request per address per ${DEFAULT_REQUEST_INTERVAL} s, so nobody's inbox can be flooded`, async () => {
    const user = await t.users.register({ username: 'flooded' });
    nextRequestWindow();
    await ask(user.email);
    await ask(user.email);
    expect(await prisma().signInEmailRequest.count({ where: { userId: user.id } })).toBe(1);
  });

  it("refuses a link or a code for another address, and anything that is neither", async () => {
    const owner = await t.users.register({ username: 'owner' });
    const other = await t.users.register({ username: 'other' });
    const mail = await emailFor(owner.email);
    expect(codeOf(await confirm(other.email, mail.token))).toBe('INVALID_TOKEN');
    expect(codeOf(await confirm('nobody@example.com', mail.code))).toBe('INVALID_TOKEN');
    for (const junk of ['12345', 'not a token', 'A'.repeat(43), '1234567']) expect(codeOf(await confirm(owner.email, junk))).toBe('INVALID_TOKEN');
    const blank = await confirm('', '');
    expect(blank.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { email: [expect.any(String)], token: [expect.any(String)] } });
    // The owner's request is untouched by all that.
    expect((await confirm(owner.email, mail.token)).errors).toBeUndefined();
  });

  it('an account with TOTP on still needs its second factor after the link', async () => {
    const user = await t.users.register({ username: 'careful' });
    const setup = await t.service.request(TotpSetupDocument, {}, bearer(user.tokens.access));
    const secret = setup.data!.user_mfa_totp_setup.secret;
    const enabled = await t.service.request(TotpEnableDocument, { arg: { code: totpFor(secret, clock.now()) } }, bearer(user.tokens.access));
    expect(enabled.errors).toBeUndefined();

    const mail = await emailFor(user.email);
    const res = await confirm(user.email, mail.token);
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'MFA_REQUIRED', ticket: expect.any(String), expiresAt: expect.any(String) });
  });
});

describe('known, unknown and inactive addresses', () => {
  it('get the same answer; only the known active one gets a request (and so an email)', async () => {
    nextRequestWindow();
    const known = await t.users.register({ username: 'known' });
    const inactive = await t.users.register({ username: 'dormant' });
    await t.users.deactivate(inactive.id);
    const before = await prisma().signInEmailRequest.count();

    const answers = [await ask(known.email), await ask('stranger@example.com'), await ask(inactive.email)];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({ user_signin_email: { status: 'OK' } });
    }
    expect(await prisma().signInEmailRequest.count()).toBe(before + 1);
    expect(await prisma().signInEmailRequest.count({ where: { userId: known.id } })).toBe(1);
  });

  it('take about the same time, as reset requests do', async () => {
    const times: Record<'known' | 'unknown' | 'inactive', number[]> = { known: [], unknown: [], inactive: [] };
    for (let i = 0; i < 5; i += 1) {
      const user = await t.users.register({ prefix: 'timed' });
      const inactive = await t.users.register({ prefix: 'timed_inactive' });
      await t.users.deactivate(inactive.id);
      for (const [kind, email] of [['known', user.email], ['unknown', `nobody${i}@example.com`], ['inactive', inactive.email]] as const) {
        const started = performance.now();
        await ask(email);
        times[kind].push(performance.now() - started);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    // All wait out the same floor, which hides the difference of one inserted row; the tolerance
    // on the medians is for a busy test machine, not for the service.
    for (const time of [...times.known, ...times.unknown, ...times.inactive]) expect(time).toBeGreaterThanOrEqual(DEFAULT_MIN_REQUEST_MILLIS - 1);
    expect(Math.abs(median(times.known) - median(times.unknown))).toBeLessThan(100);
    expect(Math.abs(median(times.known) - median(times.inactive))).toBeLessThan(100);
  });

  it('refuses a malformed address with BAD_USER_INPUT on email', async () => {
    const res = await ask('not-an-email');
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { email: [expect.any(String)] } });
  });

  it('an unknown address gets no account without PASSWORDLESS_SIGNUP', async () => {
    nextRequestWindow();
    await ask('walk-in@example.com');
    expect(await prisma().signInEmailRequest.count({ where: { email: 'walk-in@example.com' } })).toBe(0);
  });
});

describe('the sign-in email webhook', () => {
  it('sends nothing for a request that is used, expired or whose user was deactivated', async () => {
    const user = await t.users.register({ username: 'latecomer' });
    nextRequestWindow();
    await ask(user.email);
    const row = await prisma().signInEmailRequest.findFirstOrThrow({ where: { userId: user.id } });
    await t.users.deactivate(user.id);
    const res = await t.events.deliver('signin_email_requested', await t.events.forRow('signin_email_requested', row.id));
    expect(res).toMatchObject({ status: 200, body: { status: 'skipped' } });
    await t.users.reactivate(user.id);
    clock.advance(SIGNIN_EMAIL_TTL);
    const late = await t.events.deliver('signin_email_requested', await t.events.forRow('signin_email_requested', row.id));
    expect(late).toMatchObject({ status: 200, body: { status: 'skipped' } });
  });

  it('a password login is unaffected by a pending sign-in email', async () => {
    const user = await t.users.register({ username: 'both' });
    await emailFor(user.email);
    const res = await t.service.request(LoginDocument, { arg: { username: user.username, password: user.password } });
    expect(res.errors).toBeUndefined();
  });
});
