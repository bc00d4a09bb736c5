// Passkeys in a real browser: headless Chromium with the DevTools virtual authenticator (a CTAP2
// platform authenticator with resident keys and user verification) runs the ceremonies from the
// service's own page, GET /account/security. The refusals — a replayed assertion, a reused or
// expired challenge, a page on another origin, a counter that went back — are shown with
// assertions the same authenticator really signed. Screenshots go to artifacts/.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  LOGIN,
  PASSKEY_REGISTER,
  PASSKEY_REGISTRATION_OPTIONS,
  PASSKEY_SIGNIN,
  PASSKEY_SIGNIN_OPTIONS,
  REGISTER,
  TOTP_ENABLE,
  TOTP_SETUP,
} from '../support/operations';
import { startTestService, TestClock, type GraphQLResponse, type TestService } from '../support/service';
import { totpFor } from '../support/totp';

const ARTIFACTS = path.resolve(__dirname, '../../artifacts');
const PASSWORD = 'a passphrase for passkeys';


type Json = Record<string, unknown>;

let db: TestDatabase;
let service: TestService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let authenticatorId: string;
let origin: string;
const clock = new TestClock();

// A browser on a machine shared with other work: ceremonies can take seconds.
jest.setTimeout(60_000);
const problems: string[] = [];
/** The credentials the page sent to user_passkey_signin, in order. */
const sentAssertions: Json[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  db = await createTestDatabase();
  const port = await freePort();
  // Browsers treat http://localhost as a secure context, where WebAuthn is allowed.
  origin = `http://localhost:${port}`;
  service = await startTestService(db, { clock, env: { PORT: String(port), WEBAUTHN_ORIGINS: origin, RATE_LIMIT_MFA_ATTEMPT: 'off' } });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 900, height: 1100 } });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    const body = request.postData();
    if (body?.includes('user_passkey_signin(')) sentAssertions.push((JSON.parse(body) as { variables: { arg: { credential: Json } } }).variables.arg.credential);
  });
  cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await db?.drop();
});

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const amrOf = (access: string) => (jwt.decode(access) as { amr: string[] }).amr;

async function openPage(): Promise<void> {
  await page.goto(`${origin}/account/security`);
  await page.locator('#signin').waitFor();
}

async function message(): Promise<string> {
  return (await page.locator('#message').textContent()) ?? '';
}

/** Waits until the page's status line names an outcome, and returns the message. */
async function settled(): Promise<string> {
  await page.waitForFunction(() => {
    const box = (globalThis as unknown as { document: { getElementById(id: string): { className: string } | null } }).document.getElementById('message');
    return box?.className === 'ok' || box?.className === 'error';
  });
  return message();
}

async function resetMessage(): Promise<void> {
  await page.evaluate(() => {
    const box = (globalThis as unknown as { document: { getElementById(id: string): { className: string; textContent: string } } }).document.getElementById('message');
    box.className = '';
    box.textContent = '';
  });
}

async function passwordSignIn(username: string): Promise<void> {
  await openPage();
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#signin');
}

/** Runs navigator.credentials.get() in the page for these options, the way the page does. */
function assertionFor(options: Json): Promise<Json> {
  return page.evaluate(
    (optionsJSON) =>
      (globalThis as unknown as { SimpleWebAuthnBrowser: { startAuthentication(o: { optionsJSON: unknown }): Promise<Record<string, unknown>> } }).SimpleWebAuthnBrowser.startAuthentication({
        optionsJSON,
      }),
    options,
  );
}

async function signinOptions(username?: string): Promise<Json> {
  const res = await service.gql<{ user_passkey_signin_options: Json }>(PASSKEY_SIGNIN_OPTIONS, { arg: { username: username ?? null } });
  expect(res.errors).toBeUndefined();
  return res.data!.user_passkey_signin_options;
}

const signIn = (credential: Json) => service.gql<{ user_passkey_signin: { access: string; refresh: string } }>(PASSKEY_SIGNIN, { arg: { credential } });

describe('a passkey, from the service page', () => {
  let userId: number;

  beforeAll(async () => {
    const res = await service.gql<{ user_register: { id: number } }>(REGISTER, { arg: { username: 'pia', email: 'pia@example.com', password: PASSWORD } });
    expect(res.errors).toBeUndefined();
    userId = res.data!.user_register.id;
  });

  it('is registered by a signed-in user with the virtual authenticator', async () => {
    await passwordSignIn('pia');
    expect(await settled()).toBe('Signed in.');
    expect(await page.locator('#status').getAttribute('data-amr')).toBe('pwd');
    await resetMessage();
    await page.fill('#passkey-name', 'Test laptop');
    await page.click('#passkey-add');
    expect(await settled()).toBe('Passkey added. You can now sign in with it.');
    await page.screenshot({ path: path.join(ARTIFACTS, 'passkey-registered.png'), fullPage: true });

    const rows = await service.services.db.prisma.userPasskey.findMany({ where: { userId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'Test laptop', deviceType: 'singleDevice', backedUp: false });
    // The authenticator holds it as a resident (discoverable) credential for this site.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url')).toBe(rows[0]!.id);
  });

  it('signs in without a username (discoverable), as two factors: amr ["webauthn"]', async () => {
    await openPage();
    await page.click('#passkey-signin');
    expect(await settled()).toBe('Signed in.');
    expect(await page.locator('#status').textContent()).toBe('Signed in as pia (amr: webauthn)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'passkey-signed-in.png'), fullPage: true });
    const row = await service.services.db.prisma.userPasskey.findFirstOrThrow({ where: { userId } });
    expect(row.lastUsedAt).toEqual(clock.now());
  });

  it('signs in with a username too', async () => {
    await openPage();
    await page.fill('#username', 'PIA@example.com');
    await page.click('#passkey-signin');
    expect(await settled()).toBe('Signed in.');
    expect(await page.locator('#status').getAttribute('data-amr')).toBe('webauthn');
  });

  it('refuses a replayed assertion', async () => {
    const sent = sentAssertions.at(-1);
    expect(sent).toBeDefined();
    const replay = await signIn(sent!);
    expect(codeOf(replay)).toBe('UNAUTHENTICATED');
  });

  it('refuses a second assertion made for a challenge already used', async () => {
    const options = await signinOptions();
    const first = await assertionFor(options);
    const second = await assertionFor(options);
    expect(second.id).toBe(first.id);
    expect((await signIn(first)).errors).toBeUndefined();
    expect(codeOf(await signIn(second))).toBe('UNAUTHENTICATED');
  });

  it('refuses a challenge older than five minutes, and takes one just younger', async () => {
    const stale = await signinOptions();
    clock.advance(301);
    expect(codeOf(await signIn(await assertionFor(stale)))).toBe('UNAUTHENTICATED');
    const fresh = await signinOptions();
    clock.advance(299);
    const res = await signIn(await assertionFor(fresh));
    expect(res.errors).toBeUndefined();
    expect(amrOf(res.data!.user_passkey_signin.access)).toEqual(['webauthn']);
  });

  it('refuses an assertion made on a page of another origin', async () => {
    // Another port is another origin; the RP ID (localhost) still fits it, so the browser signs.
    // The tab's virtual authenticator holds the passkey; only the page's origin differs.
    const elsewhere = `http://localhost:${await freePort()}`;
    const bundle = await (await fetch(`${origin}/account/security/webauthn.js`)).text();
    await page.route(`${elsewhere}/**`, (route) =>
      route.request().url().endsWith('/webauthn.js')
        ? route.fulfill({ contentType: 'text/javascript', body: bundle })
        : route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>elsewhere</title><script src="/webauthn.js"></script>' }),
    );
    try {
      await page.goto(`${elsewhere}/`);
      await page.waitForFunction(() => 'SimpleWebAuthnBrowser' in globalThis, undefined, { timeout: 10_000 });
      const credential = await assertionFor(await signinOptions());
      const clientData = JSON.parse(Buffer.from(String((credential.response as Json).clientDataJSON), 'base64url').toString()) as { origin: string };
      expect(clientData.origin).toBe(elsewhere);
      expect(codeOf(await signIn(credential))).toBe('UNAUTHENTICATED');
    } finally {
      await page.unroute(`${elsewhere}/**`);
    }
    // The same authenticator on the service's own page is fine.
    await openPage();
    expect((await signIn(await assertionFor(await signinOptions()))).errors).toBeUndefined();
  });

  it('refuses a signature counter that went back (a cloned authenticator)', async () => {
    const row = await service.services.db.prisma.userPasskey.findFirstOrThrow({ where: { userId } });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(Number(row.counter)).toBe(credentials[0]!.signCount);
    await service.services.db.prisma.userPasskey.update({ where: { id: row.id }, data: { counter: credentials[0]!.signCount + 1000 } });
    try {
      await openPage();
      await page.click('#passkey-signin');
      expect(await settled()).toBe('UNAUTHENTICATED: The passkey could not be verified.');
      await page.screenshot({ path: path.join(ARTIFACTS, 'passkey-refused-counter.png'), fullPage: true });
    } finally {
      await service.services.db.prisma.userPasskey.update({ where: { id: row.id }, data: { counter: row.counter } });
    }
    // Back in step, the authenticator's next assertion is accepted again.
    expect((await signIn(await assertionFor(await signinOptions('pia')))).errors).toBeUndefined();
  });

  it("refuses another user's passkey for a sign-in that named a user", async () => {
    await service.gql(REGISTER, { arg: { username: 'quinn', email: 'quinn@example.com', password: PASSWORD } });
    const options = await signinOptions('quinn');
    // quinn has no passkey: the options name a made-up credential, as for an unknown user.
    const unknown = await signinOptions('no-such-user');
    expect((options.allowCredentials as unknown[]).length).toBe(1);
    expect((unknown.allowCredentials as unknown[]).length).toBe(1);
    expect(Object.keys(options).sort()).toEqual(Object.keys(unknown).sort());
    // pia's assertion (discoverable options) presented against the challenge issued for quinn… is
    // not possible in a browser (the challenge is signed); a challenge for quinn with pia's
    // credential id fails at the authenticator, so check the server side directly.
    const forPia = await assertionFor(await signinOptions());
    await service.services.db.prisma.webauthnChallenge.updateMany({ data: { userId: (await service.services.db.prisma.user.findUniqueOrThrow({ where: { username: 'quinn' } })).id } });
    expect(codeOf(await signIn(forPia))).toBe('UNAUTHENTICATED');
  });

  it('refuses registration options used twice, and a registration without an access token', async () => {
    const tokens = (await service.gql<{ user_login: { access: string } }>(LOGIN, { arg: { username: 'quinn', password: PASSWORD } })).data!.user_login;
    const auth = { authorization: `Bearer ${tokens.access}` };
    expect(codeOf(await service.gql(PASSKEY_REGISTRATION_OPTIONS))).toBe('UNAUTHENTICATED');
    const options = (await service.gql<{ user_passkey_registration_options: Json }>(PASSKEY_REGISTRATION_OPTIONS, {}, auth)).data!.user_passkey_registration_options;
    expect(options.rp).toEqual({ name: service.config.email.appName, id: 'localhost' });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    const credential = await page.evaluate(
      (optionsJSON) =>
        (globalThis as unknown as { SimpleWebAuthnBrowser: { startRegistration(o: { optionsJSON: unknown }): Promise<Record<string, unknown>> } }).SimpleWebAuthnBrowser.startRegistration({
          optionsJSON,
        }),
      options,
    );
    expect(codeOf(await service.gql(PASSKEY_REGISTER, { arg: { credential } }))).toBe('UNAUTHENTICATED');
    expect((await service.gql(PASSKEY_REGISTER, { arg: { credential, name: 'Phone' } }, auth)).errors).toBeUndefined();
    expect(codeOf(await service.gql(PASSKEY_REGISTER, { arg: { credential } }, auth))).toBe('BAD_USER_INPUT');
    expect(codeOf(await service.gql(PASSKEY_REGISTER, { arg: { credential: { id: 'x' } } }, auth))).toBe('BAD_USER_INPUT');
    expect(await service.services.db.prisma.userPasskey.count({ where: { user: { username: 'quinn' } } })).toBe(1);
  });

  it('passes the TOTP gate: with TOTP on, a passkey still signs in at once', async () => {
    const login = await service.gql<{ user_login: { access: string } }>(LOGIN, { arg: { username: 'pia', password: PASSWORD } });
    const auth = { authorization: `Bearer ${login.data!.user_login.access}` };
    const setup = await service.gql<{ user_mfa_totp_setup: { secret: string } }>(TOTP_SETUP, {}, auth);
    const secret = setup.data!.user_mfa_totp_setup.secret;
    expect((await service.gql(TOTP_ENABLE, { arg: { code: totpFor(secret, clock.now()) } }, auth)).errors).toBeUndefined();
    clock.advance(60);

    const password = await service.gql(LOGIN, { arg: { username: 'pia', password: PASSWORD } });
    expect(codeOf(password)).toBe('MFA_REQUIRED');
    const res = await signIn(await assertionFor(await signinOptions('pia')));
    expect(res.errors).toBeUndefined();
    expect(amrOf(res.data!.user_passkey_signin.access)).toEqual(['webauthn']);
  });
});

describe('TOTP set up from the service page', () => {
  it('shows a QR code and the secret; the first code turns it on and shows the recovery codes; then a sign-in asks for a code', async () => {
    await service.gql(REGISTER, { arg: { username: 'rita', email: 'rita@example.com', password: PASSWORD } });
    await passwordSignIn('rita');
    expect(await settled()).toBe('Signed in.');
    await resetMessage();
    await page.click('#totp-setup');
    await settled();
    await page.locator('#totp-qr svg').waitFor();
    const secret = (await page.locator('#totp-secret').textContent())!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'totp-setup-qr.png'), fullPage: true });

    await resetMessage();
    await page.fill('#totp-code', totpFor(secret, clock.now()));
    await page.click('#totp-enable');
    expect(await settled()).toMatch(/^Two-step sign-in is on/);
    const codes = await page.locator('#recovery-codes li').allTextContents();
    expect(codes).toHaveLength(10);
    await page.screenshot({ path: path.join(ARTIFACTS, 'totp-recovery-codes.png'), fullPage: true });
    clock.advance(60);

    await passwordSignIn('rita');
    expect(await settled()).toBe('Enter the code from your authenticator app, or a recovery code.');
    await resetMessage();
    await page.fill('#mfa-code', totpFor(secret, clock.now()));
    await page.click('#mfa-verify');
    expect(await settled()).toBe('Signed in.');
    expect(await page.locator('#status').getAttribute('data-amr')).toBe('pwd,otp');
    await page.screenshot({ path: path.join(ARTIFACTS, 'totp-signed-in.png'), fullPage: true });
  });
});

it('the page loaded everything it needed from the service, with no CSP complaint', () => {
  expect(problems.filter((p) => !/401|UNAUTHENTICATED|Failed to load resource/.test(p))).toEqual([]);
});
