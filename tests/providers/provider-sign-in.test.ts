// The redirect flow's rules, each refusal on its own: redirect_to checked as a parsed URL before
// the browser leaves the service; state single use, unforgeable and expiring; one-time codes
// single use and dead after 60 seconds; the provider's ID token checked (nonce, audience, expiry,
// signature); provider errors, garbage and silence ending at redirect_to?error=…, never a 500.
// Also account linking. The provider is scripted (tests/support/providers/scripted-issuer.ts).
import jwt from 'jsonwebtoken';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { LOGIN, LOGIN_MFA, MFA_DISABLE, REFRESH, REGISTER, RESET, SIGNIN_CODE, SIGNIN_IDTOKEN, TOTP_ENABLE, TOTP_SETUP } from '../support/operations';
import { startScriptedIssuer, type ScriptedIssuer } from '../support/providers/scripted-issuer';
import { unusedPort } from '../support/smtp';
import { startTestService, TestClock, type GraphQLResponse, type TestService } from '../support/service';
import { totpFor } from '../support/totp';

const APP = 'https://app.example.com/app';

let db: TestDatabase;
let service: TestService;
let issuer: ScriptedIssuer;
let second: ScriptedIssuer;
let publicUrl: string;
const clock = new TestClock();

type Tokens = { access: string; refresh: string };
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  db = await createTestDatabase();
  issuer = await startScriptedIssuer();
  second = await startScriptedIssuer('second-client', 'second-secret-0123456789');
  const port = await unusedPort();
  const deadPort = await unusedPort();
  publicUrl = `http://127.0.0.1:${port}`;
  service = await startTestService(db, {
    clock,
    env: {
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      ALLOWED_REDIRECT_URLS: `${APP},myapp://signin`,
      PROVIDER_TIMEOUT: '1s',
      OIDC_PROVIDERS: JSON.stringify([
        { id: 'scripted', issuer: issuer.issuer, client_id: issuer.clientId, client_secret: issuer.clientSecret },
        { id: 'second', issuer: second.issuer, client_id: second.clientId, client_secret: second.clientSecret },
        { id: 'down', issuer: `http://127.0.0.1:${deadPort}`, client_id: 'x', client_secret: 'y' },
      ]),
    },
  });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await issuer?.stop();
  await second?.stop();
  await db?.drop();
});

/** GET without following redirects. */
async function get(url: string): Promise<{ status: number; location: URL | undefined; text: string }> {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location) : undefined, text: await res.text() };
}

/** Starts a sign-in and lets the provider answer: the callback URL the browser would follow next. */
async function toCallback(provider = 'scripted', redirectTo = `${APP}/done`): Promise<URL> {
  const start = await get(`${publicUrl}/signin/provider/${provider}?redirect_to=${encodeURIComponent(redirectTo)}`);
  expect(start.status).toBe(302);
  const authorize = await get(start.location!.href);
  expect(authorize.status).toBe(302);
  return authorize.location!;
}

/** A whole sign-in: where the service finally sends the browser. */
async function signIn(provider = 'scripted', redirectTo?: string): Promise<URL> {
  const callback = await get((await toCallback(provider, redirectTo)).href);
  expect(callback.status).toBe(302);
  return callback.location!;
}

const redeem = (code: string | null) => service.gql<{ user_signin_code: Tokens }>(SIGNIN_CODE, { arg: { code } });
const emailOf = (tokens: Tokens) => (jwt.decode(tokens.access) as jwt.JwtPayload).user_email as string;
const userIdOf = (tokens: Tokens) => Number((jwt.decode(tokens.access) as jwt.JwtPayload).sub);

describe('the start of a sign-in', () => {
  it('sends the browser to the provider with state, PKCE S256, a nonce and the PUBLIC_URL callback', async () => {
    const start = await get(`${publicUrl}/signin/provider/scripted?redirect_to=${encodeURIComponent(`${APP}/x`)}`);
    expect(start.status).toBe(302);
    const params = start.location!.searchParams;
    expect(start.location!.origin + start.location!.pathname).toBe(`${issuer.issuer}/authorize`);
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('redirect_uri')).toBe(`${publicUrl}/signin/provider/scripted/callback`);
    expect(params.get('scope')).toBe('openid email profile');
  });

  it('stores neither the state nor anything derived from it that could finish the sign-in', async () => {
    const start = await get(`${publicUrl}/signin/provider/scripted?redirect_to=${encodeURIComponent(APP)}`);
    const params = start.location!.searchParams;
    const rows = await service.services.db.prisma.providerSignInRequest.findMany();
    const stored = JSON.stringify(rows);
    for (const secret of ['state', 'nonce', 'code_challenge']) expect(stored).not.toContain(params.get(secret));
  });

  it('accepts a path inside an allowed URL, and a native app scheme', async () => {
    expect((await get(`${publicUrl}/signin/provider/scripted?redirect_to=${encodeURIComponent(`${APP}/deep/page?x=1`)}`)).status).toBe(302);
    expect((await get(`${publicUrl}/signin/provider/scripted?redirect_to=${encodeURIComponent('myapp://signin/done')}`)).status).toBe(302);
  });

  it('answers 404 for an unknown provider', async () => {
    expect((await get(`${publicUrl}/signin/provider/nobody?redirect_to=${encodeURIComponent(APP)}`)).status).toBe(404);
  });

  it('ends at redirect_to?error=PROVIDER_ERROR when the provider cannot be reached', async () => {
    const start = await get(`${publicUrl}/signin/provider/down?redirect_to=${encodeURIComponent(APP)}`);
    expect(start.status).toBe(302);
    expect(start.location!.href.startsWith(APP)).toBe(true);
    expect(start.location!.searchParams.get('error')).toBe('PROVIDER_ERROR');
  });
});

describe('redirect_to is refused with 400 before leaving the service', () => {
  const refused = async (redirectTo: string) => {
    const res = await get(`${publicUrl}/signin/provider/scripted?redirect_to=${encodeURIComponent(redirectTo)}`);
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
  };
  it('another origin', () => refused('https://evil.example/app'));
  it('a scheme-relative URL: //evil.example', () => refused('//evil.example'));
  it('a host that only starts like the allowed one: https://app.example.com.evil.example', () => refused('https://app.example.com.evil.example/app'));
  it('credentials before the host: https://app.example.com@evil.example', () => refused('https://app.example.com@evil.example/app'));
  it('a scheme other than the allowed one', () => refused('http://app.example.com/app'));
  it('another port', () => refused('https://app.example.com:8443/app'));
  it('a path that only starts like the allowed one', () => refused('https://app.example.com/application'));
  it('a relative path', () => refused('/app'));
  it('a backslash trick', () => refused('https://app.example.com\\@evil.example/app'));
  it('redirect_to given twice', async () => {
    const res = await get(`${publicUrl}/signin/provider/scripted?redirect_to=${encodeURIComponent(APP)}&redirect_to=${encodeURIComponent('https://evil.example')}`);
    expect(res.status).toBe(400);
  });
});

describe('the callback', () => {
  it('ends at redirect_to with a code that signs in (the control case for every refusal below)', async () => {
    issuer.profile = { sub: 'control', email: 'control@example.com', email_verified: true };
    const landed = await signIn();
    expect(landed.href.startsWith(`${APP}/done?`)).toBe(true);
    const res = await redeem(landed.searchParams.get('code'));
    expect(res.errors).toBeUndefined();
    expect(emailOf(res.data!.user_signin_code)).toBe('control@example.com');
  });

  it('accepts the answer as a form POST (response_mode=form_post, as Apple sends it)', async () => {
    const callback = await toCallback();
    const res = await fetch(`${publicUrl}${callback.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: callback.searchParams.toString(),
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a tampered state with 400 and no code', async () => {
    const callback = await toCallback();
    const state = callback.searchParams.get('state')!;
    callback.searchParams.set('state', (state[0] === 'A' ? 'B' : 'A') + state.slice(1));
    const res = await get(callback.href);
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
  });

  it('refuses a replayed state', async () => {
    const callback = await toCallback();
    expect((await get(callback.href)).location?.searchParams.has('code')).toBe(true);
    const replay = await get(callback.href);
    expect(replay.status).toBe(400);
    expect(replay.location).toBeUndefined();
  });

  it('refuses a state older than 10 minutes', async () => {
    const callback = await toCallback();
    clock.advance(601);
    const res = await get(callback.href);
    expect(res.status).toBe(400);
  });

  it('refuses a state from another provider', async () => {
    const callback = await toCallback('second');
    const res = await get(callback.href.replace('/second/callback', '/scripted/callback'));
    expect(res.status).toBe(400);
  });

  const refusedWith = async (code: string, misbehave: () => void) => {
    issuer.profile = { sub: 'refused', email: 'refused@example.com', email_verified: true };
    const callback = await toCallback();
    misbehave();
    const res = await get(callback.href);
    expect(res.status).toBe(302);
    expect(res.location!.href.startsWith(`${APP}/done?`)).toBe(true);
    expect(res.location!.searchParams.get('error')).toBe(code);
    expect(res.location!.searchParams.get('error_description')).toBeTruthy();
    expect(res.location!.searchParams.has('code')).toBe(false);
    expect(await service.services.db.prisma.user.count({ where: { email: 'refused@example.com' } })).toBe(0);
  };

  it('refuses an ID token with a wrong nonce', () => refusedWith('UNAUTHENTICATED', () => (issuer.next = { idTokenClaims: { nonce: 'another-nonce' } })));
  it('refuses an ID token for another audience', () => refusedWith('UNAUTHENTICATED', () => (issuer.next = { idTokenClaims: { aud: 'another-client' } })));
  it('refuses an expired ID token', () =>
    refusedWith('UNAUTHENTICATED', () => (issuer.next = { idTokenClaims: { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 } })));
  it('refuses an ID token signed with a key the provider does not publish', () => refusedWith('UNAUTHENTICATED', () => (issuer.next = { foreignKey: true })));
  it('refuses an ID token from another issuer', () => refusedWith('UNAUTHENTICATED', () => (issuer.next = { idTokenClaims: { iss: 'https://evil.example' } })));
  it('reports a token endpoint error', () => refusedWith('PROVIDER_ERROR', () => (issuer.next = { tokenStatus: 400, tokenBody: '{"error":"invalid_grant"}' })));
  it('reports a provider failing with 500', () => refusedWith('PROVIDER_ERROR', () => (issuer.next = { tokenStatus: 500, tokenBody: 'oops' })));
  it('reports a malformed answer', () => refusedWith('PROVIDER_ERROR', () => (issuer.next = { tokenStatus: 200, tokenBody: '{"access_token": 42' })));
  it('reports a provider that does not answer in time', () => refusedWith('PROVIDER_ERROR', () => (issuer.next = { hang: true })));

  it('reports a sign-in cancelled at the provider as ACCESS_DENIED', async () => {
    issuer.next = { authorizeError: 'access_denied' };
    const landed = await signIn();
    expect(landed.searchParams.get('error')).toBe('ACCESS_DENIED');
  });
});

describe('one-time codes', () => {
  let code: string | null;
  beforeEach(async () => {
    issuer.profile = { sub: 'coder', email: 'coder@example.com', email_verified: true };
    code = (await signIn()).searchParams.get('code');
  });

  it('work once', async () => {
    expect((await redeem(code)).errors).toBeUndefined();
    expect(codeOf(await redeem(code))).toBe('UNAUTHENTICATED');
  });

  it('still work at 59 seconds', async () => {
    clock.advance(59);
    expect((await redeem(code)).errors).toBeUndefined();
  });

  it('are refused after 60 seconds', async () => {
    clock.advance(61);
    expect(codeOf(await redeem(code))).toBe('UNAUTHENTICATED');
  });

  it('are stored only as a keyed hash', async () => {
    const rows = await service.services.db.prisma.providerSignInCode.findMany();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(code);
  });

  it('refuse anything that is not a code', async () => {
    expect(codeOf(await redeem('not-a-code'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await redeem(''))).toBe('BAD_USER_INPUT');
  });
});

describe('account linking', () => {
  const register = async (username: string, email: string) => {
    const res = await service.gql<{ user_register: { id: number } }>(REGISTER, { arg: { username, email, password: 'a long unusual passphrase' } });
    expect(res.errors).toBeUndefined();
    return res.data!.user_register.id;
  };
  const verify = (id: number) => service.services.db.prisma.user.update({ where: { id }, data: { emailVerifiedAt: clock.now() } });

  it('links a provider-verified email to the same verified local email', async () => {
    const id = await register('grace', 'grace@example.com');
    await verify(id);
    issuer.profile = { sub: 'grace-at-provider', email: 'Grace@Example.com', email_verified: true };
    const res = await redeem((await signIn()).searchParams.get('code'));
    expect(userIdOf(res.data!.user_signin_code)).toBe(id);
    const identities = await service.services.db.prisma.userIdentity.findMany({ where: { userId: id } });
    expect(identities.map((i) => i.subject)).toEqual(['grace-at-provider']);
  });

  it('does not take over an unverified local account: ACCOUNT_EXISTS', async () => {
    const id = await register('hedy', 'hedy@example.com');
    issuer.profile = { sub: 'hedy-at-provider', email: 'hedy@example.com', email_verified: true };
    const landed = await signIn();
    expect(landed.searchParams.get('error')).toBe('ACCOUNT_EXISTS');
    expect(landed.searchParams.has('code')).toBe(false);
    expect(await service.services.db.prisma.userIdentity.count({ where: { userId: id } })).toBe(0);
  });

  it('does not link an email the provider does not vouch for, even to a verified account', async () => {
    const id = await register('katherine', 'katherine@example.com');
    await verify(id);
    issuer.profile = { sub: 'katherine-at-provider', email: 'katherine@example.com', email_verified: false };
    expect((await signIn()).searchParams.get('error')).toBe('ACCOUNT_EXISTS');
    expect(await service.services.db.prisma.userIdentity.count({ where: { userId: id } })).toBe(0);
  });

  it('answers ACCOUNT_EXISTS to an ID-token sign-in as well', async () => {
    await register('joan', 'joan@example.com');
    issuer.profile = { sub: 'joan-at-provider', email: 'joan@example.com', email_verified: true };
    // An ID token the scripted provider signed, taken from its token answer.
    const callback = await toCallback();
    const landed = (await get(callback.href)).location!;
    expect(landed.searchParams.get('error')).toBe('ACCOUNT_EXISTS');
    const res = await service.gql(SIGNIN_IDTOKEN, { arg: { provider: 'scripted', id_token: 'not.a.token', nonce: null } });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('signs a second provider identity of the same person into the same user', async () => {
    issuer.profile = { sub: 'mary-first', email: 'mary@example.com', email_verified: true, preferred_username: 'mary' };
    const first = (await redeem((await signIn('scripted')).searchParams.get('code'))).data!.user_signin_code;
    second.profile = { sub: 'mary-second', email: 'mary@example.com', email_verified: true };
    const again = (await redeem((await signIn('second')).searchParams.get('code'))).data!.user_signin_code;
    expect(userIdOf(again)).toBe(userIdOf(first));
    const identities = await service.services.db.prisma.userIdentity.findMany({ where: { userId: userIdOf(first) }, orderBy: { id: 'asc' } });
    expect(identities.map((i) => [i.provider, i.subject])).toEqual([
      ['scripted', 'mary-first'],
      ['second', 'mary-second'],
    ]);
  });

  it('gives a new account a unique username from the profile, letters, digits and . _ - only', async () => {
    issuer.profile = { sub: 'dup-1', email: 'ann.one@example.com', email_verified: true, preferred_username: 'ann+dev@home' };
    const one = (await redeem((await signIn()).searchParams.get('code'))).data!.user_signin_code;
    issuer.profile = { sub: 'dup-2', email: 'ann.two@example.com', email_verified: true, preferred_username: 'ann+dev@home' };
    const two = (await redeem((await signIn()).searchParams.get('code'))).data!.user_signin_code;
    const names = [one, two].map((t) => (jwt.decode(t.access) as jwt.JwtPayload).user_name as string);
    expect(names[0]).toBe('anndevhome');
    expect(names[1]).toMatch(/^anndevhome-\d{4}$/);
  });

  it('makes an account from an unverified provider email, unverified', async () => {
    issuer.profile = { sub: 'unverified-new', email: 'new.unverified@example.com', email_verified: false };
    const tokens = (await redeem((await signIn()).searchParams.get('code'))).data!.user_signin_code;
    const user = await service.services.db.prisma.user.findUniqueOrThrow({ where: { id: userIdOf(tokens) } });
    expect(user.emailVerifiedAt).toBeNull();
  });
});

describe('an account made by a provider has no password', () => {
  let tokens: Tokens;
  beforeAll(async () => {
    issuer.profile = { sub: 'nopass', email: 'nopass@example.com', email_verified: true, preferred_username: 'nopass' };
    tokens = (await redeem((await signIn()).searchParams.get('code'))).data!.user_signin_code;
  });

  it('so a password login fails like any wrong password', async () => {
    expect(codeOf(await service.gql(LOGIN, { arg: { username: 'nopass', password: 'anything at all' } }))).toBe('UNAUTHENTICATED');
  });

  it('and a password change says how to set one', async () => {
    const res = await service.gql(
      'mutation C($arg: ChangePassword!) { user_change_password(arg: $arg) { status code } }',
      { arg: { old_password: 'whatever', new_password: 'a brand new passphrase' } },
      { authorization: `Bearer ${tokens.access}` },
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.fields?.old_password?.[0]).toMatch(/user_password_reset/);
  });

  it('and a password reset request is recorded for it like for any account', async () => {
    await service.gql(RESET, { arg: { email: 'nopass@example.com' } });
    const user = await service.services.db.prisma.user.findUniqueOrThrow({ where: { email: 'nopass@example.com' }, include: { passwordResetRequests: true } });
    expect(user.passwordResetRequests).toHaveLength(1);
  });
});

describe('a provider sign-in into an account with TOTP on', () => {
  // The provider is the first factor only: the account's second factor is asked for exactly as
  // after a password, through the same ticket and user_login_mfa.
  const bearer = (tokens: Tokens) => ({ authorization: `Bearer ${tokens.access}` });
  const amrOf = (access: string) => (jwt.decode(access) as jwt.JwtPayload).amr as string[];
  const ticketOf = (res: GraphQLResponse) => (res.errors?.[0]?.extensions as { ticket?: string } | undefined)?.ticket;
  let secret: string;

  beforeAll(async () => {
    // An account the provider made, so it has no password: setting TOTP up needs none.
    issuer.profile = { sub: 'two-step', email: 'two.step@example.com', email_verified: true, preferred_username: 'twostep' };
    const tokens = (await redeem((await signIn()).searchParams.get('code'))).data!.user_signin_code;
    expect(amrOf(tokens.access)).toEqual(['oauth']);
    const setup = await service.gql<{ user_mfa_totp_setup: { secret: string } }>(TOTP_SETUP, {}, bearer(tokens));
    expect(setup.errors).toBeUndefined();
    secret = setup.data!.user_mfa_totp_setup.secret;
    const enabled = await service.gql(TOTP_ENABLE, { arg: { code: totpFor(secret, clock.now()) } }, bearer(tokens));
    expect(enabled.errors).toBeUndefined();
    // Past the step whose code turned TOTP on: that code is spent.
    clock.advance(30);
  });

  it('answers user_signin_code with MFA_REQUIRED and a ticket, then user_login_mfa with tokens whose amr is ["oauth","otp"]', async () => {
    const first = await redeem((await signIn()).searchParams.get('code'));
    expect(codeOf(first)).toBe('MFA_REQUIRED');
    expect(first.data).toBeNull();
    const ticket = ticketOf(first);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const second = await service.gql<{ user_login_mfa: Tokens }>(LOGIN_MFA, { arg: { ticket, code: totpFor(secret, clock.now()) } });
    expect(second.errors).toBeUndefined();
    const tokens = second.data!.user_login_mfa;
    expect(amrOf(tokens.access)).toEqual(['oauth', 'otp']);
    expect(emailOf(tokens)).toBe('two.step@example.com');

    // The session keeps both factors: a refreshed token says the same.
    const refreshed = await service.gql<{ user_refresh: Tokens }>(REFRESH, { arg: { refresh: tokens.refresh } });
    expect(refreshed.errors).toBeUndefined();
    expect(amrOf(refreshed.data!.user_refresh.access)).toEqual(['oauth', 'otp']);
    clock.advance(30);
  });

  it('gives no tokens for a wrong code, and the ticket works once', async () => {
    const ticket = ticketOf(await redeem((await signIn()).searchParams.get('code')));
    const wrong = String((Number(totpFor(secret, clock.now())) + 1) % 1_000_000).padStart(6, '0');
    expect(codeOf(await service.gql(LOGIN_MFA, { arg: { ticket, code: wrong } }))).toBe('INVALID_TOKEN');
    expect((await service.gql(LOGIN_MFA, { arg: { ticket, code: totpFor(secret, clock.now()) } })).errors).toBeUndefined();
    clock.advance(30);
    expect(codeOf(await service.gql(LOGIN_MFA, { arg: { ticket, code: totpFor(secret, clock.now()) } }))).toBe('UNAUTHENTICATED');
  });

  it('signs in with the provider alone again once TOTP is off', async () => {
    const ticket = ticketOf(await redeem((await signIn()).searchParams.get('code')));
    const tokens = (await service.gql<{ user_login_mfa: Tokens }>(LOGIN_MFA, { arg: { ticket, code: totpFor(secret, clock.now()) } })).data!.user_login_mfa;
    clock.advance(30);
    const off = await service.gql(MFA_DISABLE, { arg: { code: totpFor(secret, clock.now()) } }, bearer(tokens));
    expect(off.errors).toBeUndefined();
    const again = await redeem((await signIn()).searchParams.get('code'));
    expect(again.errors).toBeUndefined();
    expect(amrOf(again.data!.user_signin_code.access)).toEqual(['oauth']);
  });
});
