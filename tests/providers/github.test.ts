// Sign in with GitHub (OAuth 2.0, no OpenID Connect) against a loopback server that implements
// GitHub's OAuth endpoints and /user, /user/emails as GitHub documents them, reached through
// GITHUB_BASE_URL as a GitHub Enterprise Server would be.
import jwt from 'jsonwebtoken';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { REGISTER, SIGNIN_CODE } from '../support/operations';
import { startGithubServer, type TestGithubServer } from '../support/providers/github-server';
import { unusedPort } from '../support/smtp';
import { startTestService, TEST_JWT_KEY, type TestService } from '../support/service';

const APP = 'https://app.example.com/app';

let db: TestDatabase;
let service: TestService;
let github: TestGithubServer;
let publicUrl: string;

type Tokens = { access: string; refresh: string };

beforeAll(async () => {
  db = await createTestDatabase();
  github = await startGithubServer();
  const port = await unusedPort();
  publicUrl = `http://127.0.0.1:${port}`;
  service = await startTestService(db, {
    env: {
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      ALLOWED_REDIRECT_URLS: APP,
      GITHUB_CLIENT_ID: github.clientId,
      GITHUB_CLIENT_SECRET: github.clientSecret,
      GITHUB_BASE_URL: github.baseUrl,
    },
  });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await github?.stop();
  await db?.drop();
});

async function follow(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

/** Start → GitHub → callback: where the service sends the browser at the end. */
async function signInWithGithub(): Promise<URL> {
  const authorize = await follow(`${publicUrl}/signin/provider/github?redirect_to=${encodeURIComponent(APP)}`);
  expect(authorize.origin + authorize.pathname).toBe(`${github.baseUrl}/login/oauth/authorize`);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  return follow((await follow(authorize.href)).href);
}

async function tokensFrom(landed: URL): Promise<Tokens> {
  expect(landed.searchParams.get('error')).toBeNull();
  const res = await service.gql<{ user_signin_code: Tokens }>(SIGNIN_CODE, { arg: { code: landed.searchParams.get('code') } }, { 'user-agent': 'Octo Browser' });
  expect(res.errors).toBeUndefined();
  // The new session records the browser that finished the sign-in, as a password sign-in does.
  const sid = (jwt.decode(res.data!.user_signin_code.access) as jwt.JwtPayload).sid as string;
  expect((await service.services.db.prisma.session.findUniqueOrThrow({ where: { id: sid } })).userAgent).toBe('Octo Browser');
  return res.data!.user_signin_code;
}

const claimsOf = (tokens: Tokens) => jwt.verify(tokens.access, TEST_JWT_KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;

describe('sign in with GitHub', () => {
  let first: Tokens;
  beforeAll(async () => {
    github.nextUser = {
      id: 583231,
      login: 'octocat',
      name: 'The Octocat',
      email: null,
      emails: [
        { email: 'octo@old.example', primary: false, verified: true, visibility: null },
        { email: 'octocat@github.example', primary: true, verified: true, visibility: 'private' },
      ],
    };
    first = await tokensFrom(await signInWithGithub());
  });

  it('asks for read:user and user:email', () => {
    expect(github.lastScope).toBe('read:user user:email');
  });

  it("signs up with the login as username and the primary verified email, verified", async () => {
    expect(claimsOf(first)).toMatchObject({ user_name: 'octocat', user_email: 'octocat@github.example', amr: ['oauth'] });
    const user = await service.services.db.prisma.user.findUniqueOrThrow({ where: { email: 'octocat@github.example' }, include: { identities: true } });
    expect(user.emailVerifiedAt).not.toBeNull();
    expect(user.identities.map((i) => [i.provider, i.subject])).toEqual([['github', '583231']]);
  });

  it('signs the same user in on return, by the numeric id even after a rename and a new email', async () => {
    github.nextUser = {
      ...github.nextUser,
      login: 'octocat-renamed',
      emails: [{ email: 'new-address@github.example', primary: true, verified: true, visibility: null }],
    };
    const again = await tokensFrom(await signInWithGithub());
    expect(claimsOf(again).sub).toBe(claimsOf(first).sub);
    expect(await service.services.db.prisma.user.count()).toBe(1);
  });
});

describe('a GitHub account whose email is not verified', () => {
  it('does not join a local account with that email: ACCOUNT_EXISTS', async () => {
    const registered = await service.gql(REGISTER, { arg: { username: 'linus', email: 'linus@example.com', password: 'a long unusual passphrase' } });
    expect(registered.errors).toBeUndefined();
    await service.services.db.prisma.user.update({ where: { email: 'linus@example.com' }, data: { emailVerifiedAt: new Date() } });
    github.nextUser = { id: 1001, login: 'not-linus', name: null, email: null, emails: [{ email: 'linus@example.com', primary: true, verified: false, visibility: null }] };
    const landed = await signInWithGithub();
    expect(landed.searchParams.get('error')).toBe('ACCOUNT_EXISTS');
    expect(landed.searchParams.has('code')).toBe(false);
    expect(await service.services.db.prisma.userIdentity.count({ where: { subject: '1001' } })).toBe(0);
  });

  it('makes a new account with the email unverified when nobody has it', async () => {
    github.nextUser = { id: 1002, login: 'fresh', name: null, email: null, emails: [{ email: 'fresh@example.com', primary: true, verified: false, visibility: null }] };
    const tokens = await tokensFrom(await signInWithGithub());
    const user = await service.services.db.prisma.user.findUniqueOrThrow({ where: { id: Number(claimsOf(tokens).sub) } });
    expect(user.email).toBe('fresh@example.com');
    expect(user.emailVerifiedAt).toBeNull();
  });

  it('prefers a verified secondary address to an unverified primary one', async () => {
    github.nextUser = {
      id: 1003,
      login: 'careful',
      name: null,
      email: null,
      emails: [
        { email: 'careful-unverified@example.com', primary: true, verified: false, visibility: null },
        { email: 'careful@example.com', primary: false, verified: true, visibility: null },
      ],
    };
    expect(claimsOf(await tokensFrom(await signInWithGithub())).user_email).toBe('careful@example.com');
  });
});
