// Sign in with an OpenID Connect provider, end to end: a real OpenID provider (oidc-provider) on
// loopback, headless Chromium clicking through its login and consent pages, the app's page
// receiving the one-time code, and user_signin_code turning it into tokens. The same provider
// then serves a native app's sign-in: its ID token goes to user_signin_idtoken.
// Screenshots: artifacts/provider-login.png (the provider's page), artifacts/provider-sign-in.png (the app).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { SIGNIN_CODE, SIGNIN_IDTOKEN } from '../support/operations';
import { startAppServer, type TestAppServer } from '../support/providers/app-server';
import { startOidcProvider, type TestOidcProvider } from '../support/providers/oidc-provider';
import { unusedPort } from '../support/smtp';
import { startTestService, TEST_JWT_KEY, type GraphQLResponse, type TestService } from '../support/service';

const ARTIFACTS = path.resolve(__dirname, '../../artifacts');
const CLIENT_ID = 'auth-service';
const CLIENT_SECRET = 'auth-service-secret-0123456789abcdef';
const OTHER_CLIENT_ID = 'another-app';

let db: TestDatabase;
let service: TestService;
let provider: TestOidcProvider;
let app: TestAppServer;
let browser: Browser;
let page: Page;

type Tokens = { access: string; refresh: string };
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startAppServer();
  const port = await unusedPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        // The service's callback, and the app's own page for its native-style sign-in below.
        redirect_uris: [`${publicUrl}/signin/provider/test/callback`, `${app.origin}/native`],
      },
      { client_id: OTHER_CLIENT_ID, client_secret: 'another-app-secret-0123456789', redirect_uris: [`${app.origin}/native`] },
    ],
    accounts: { ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace', preferred_username: 'ada.lovelace' } },
  });
  service = await startTestService(db, {
    env: {
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      ALLOWED_REDIRECT_URLS: `${app.origin}/app`,
      OIDC_PROVIDERS: JSON.stringify([{ id: 'test', issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }]),
    },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  // Nothing leaves the machine (the provider's development pages link a web font).
  await page.route('**/*', (route) => (['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort()));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await provider?.stop();
  await app?.stop();
  await db?.drop();
});

/** Fills the provider's login form and grants consent when it asks. */
async function loginAndConsent(login: string): Promise<void> {
  if (await page.locator('input[name=login]').count()) {
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any password works at this provider');
    await page.click('button[type=submit]');
  }
  const consent = page.locator('button:has-text("Continue")');
  if (await consent.count()) await consent.click();
}

describe('the redirect flow in a browser', () => {
  let landed: URL;
  let tokens: Tokens;

  beforeAll(async () => {
    const redirectTo = `${app.origin}/app/signed-in?from=provider`;
    await page.goto(`${service.url}/signin/provider/test?redirect_to=${encodeURIComponent(redirectTo)}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'provider-login.png'), fullPage: true });
    await loginAndConsent('ada');
    await page.waitForURL((url) => url.href.startsWith(`${app.origin}/app/signed-in`));
    landed = new URL(page.url());
    await page.screenshot({ path: path.join(ARTIFACTS, 'provider-sign-in.png'), fullPage: true });
    const res = await service.gql<{ user_signin_code: Tokens }>(SIGNIN_CODE, { arg: { code: landed.searchParams.get('code') } });
    expect(res.errors).toBeUndefined();
    tokens = res.data!.user_signin_code;
  }, 60_000);

  it("lands on the app's redirect_to, its own query kept, with a one-time code and no error", () => {
    expect(landed.pathname).toBe('/app/signed-in');
    expect(landed.searchParams.get('from')).toBe('provider');
    expect(landed.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(landed.searchParams.has('error')).toBe(false);
  });

  it('redeems the code for tokens that verify, with amr ["oauth"]', () => {
    const claims = jwt.verify(tokens.access, TEST_JWT_KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ user_email: 'ada@example.com', user_name: 'ada.lovelace', amr: ['oauth'], token_type: 'access' });
    expect(tokens.refresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('made an account with a verified email, no password, and the identity', async () => {
    const user = await service.services.db.prisma.user.findUniqueOrThrow({ where: { email: 'ada@example.com' }, include: { identities: true } });
    expect(user.passwordHash).toBeNull();
    expect(user.emailVerifiedAt).not.toBeNull();
    expect(user.identities.map((i) => [i.provider, i.subject, i.email])).toEqual([['test', 'ada', 'ada@example.com']]);
  });

  it('refuses the same code a second time', async () => {
    const res = await service.gql(SIGNIN_CODE, { arg: { code: landed.searchParams.get('code') } });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('keeps amr through a refresh', async () => {
    const res = await service.gql<{ user_refresh: { access: string } }>('query R($arg: UserRefresh!) { user_refresh(arg: $arg) { access } }', {
      arg: { refresh: tokens.refresh },
    });
    expect((jwt.decode(res.data!.user_refresh.access) as jwt.JwtPayload).amr).toEqual(['oauth']);
  });

  it('signs the same user in again on return, without a second account', async () => {
    await page.goto(`${service.url}/signin/provider/test?redirect_to=${encodeURIComponent(`${app.origin}/app/again`)}`);
    await loginAndConsent('ada');
    await page.waitForURL((url) => url.href.startsWith(`${app.origin}/app/again`));
    const res = await service.gql<{ user_signin_code: Tokens }>(SIGNIN_CODE, { arg: { code: new URL(page.url()).searchParams.get('code') } });
    const claims = jwt.decode(res.data!.user_signin_code.access) as jwt.JwtPayload;
    expect(claims.user_email).toBe('ada@example.com');
    expect(await service.services.db.prisma.user.count()).toBe(1);
  }, 30_000);
});

describe('a native app with an ID token from the same provider', () => {
  /** Signs in at the provider as an app would with its SDK, for `clientId`, and returns the ID token. */
  async function idTokenFor(clientId: string, secret: string, nonce: string): Promise<string> {
    const config = await oidc.discovery(new URL(provider.issuer), clientId, secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${app.origin}/native`,
      scope: 'openid email profile',
      nonce,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    await page.goto(url.href);
    await loginAndConsent('ada');
    await page.waitForURL((u) => u.href.startsWith(`${app.origin}/native`));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
    if (!tokens.id_token) throw new Error('the provider sent no ID token');
    return tokens.id_token;
  }

  let idToken: string;
  let foreign: string;
  const nonce = 'native-app-nonce-0123456789';

  beforeAll(async () => {
    idToken = await idTokenFor(CLIENT_ID, CLIENT_SECRET, nonce);
    foreign = await idTokenFor(OTHER_CLIENT_ID, 'another-app-secret-0123456789', nonce);
  }, 60_000);

  const signIn = (arg: Record<string, unknown>) => service.gql<{ user_signin_idtoken: Tokens }>(SIGNIN_IDTOKEN, { arg });

  it('signs in with an ID token the provider signed, for the same user', async () => {
    const res = await signIn({ provider: 'test', id_token: idToken, nonce });
    expect(res.errors).toBeUndefined();
    const claims = jwt.verify(res.data!.user_signin_idtoken.access, TEST_JWT_KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ user_email: 'ada@example.com', amr: ['oauth'] });
  });

  it('refuses it with another nonce, or without the nonce it carries', async () => {
    expect(codeOf(await signIn({ provider: 'test', id_token: idToken, nonce: 'another-nonce' }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await signIn({ provider: 'test', id_token: idToken }))).toBe('UNAUTHENTICATED');
  });

  it('refuses an ID token issued to another app (foreign audience)', async () => {
    expect((jwt.decode(foreign) as jwt.JwtPayload).aud).toBe(OTHER_CLIENT_ID);
    expect(codeOf(await signIn({ provider: 'test', id_token: foreign, nonce }))).toBe('UNAUTHENTICATED');
  });

  it('refuses an ID token whose signature does not verify', async () => {
    const [header, payload, signature = ''] = idToken.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(codeOf(await signIn({ provider: 'test', id_token: `${header}.${payload}.${flipped}`, nonce }))).toBe('UNAUTHENTICATED');
    // The payload altered, the signature kept: the same.
    const altered = Buffer.from(JSON.stringify({ ...(jwt.decode(idToken) as object), sub: 'someone-else' })).toString('base64url');
    expect(codeOf(await signIn({ provider: 'test', id_token: `${header}.${altered}.${signature}`, nonce }))).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown provider as bad input', async () => {
    const res = await signIn({ provider: 'nobody', id_token: idToken, nonce });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });
});
