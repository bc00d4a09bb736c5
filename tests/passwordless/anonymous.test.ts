// Anonymous users: sign in without anything, use the app through Hasura, then register and keep
// everything — the same user id, so the app's rows stay theirs. Requests go through the stand-in
// Hasura built from the real metadata (JWT session, the role's remote-schema permission); the
// app's own table is a real table in the test database, written as Hasura writes an insert whose
// permission presets owner_id from X-Hasura-User-Id.
import { hasuraSession, forwardThroughHasura, type GatewayOptions } from '../support/hasura-gateway';
import { loadHasuraMetadata, type RemoteSchemaMetadata } from '../support/hasura-metadata';
import { hasuraVerify } from '../support/hasura-jwt';
import { REGISTER } from '../support/operations';
import { codeOf, TEST_JWT_KEY, TEST_WEBHOOK_SECRET, TestClock } from '../support/service';
import { setupTestService } from '../support/setup';
import { RefreshDocument, SigninAnonymousDocument, SigninEmailDocument } from '../generated/graphql';
import { bearer } from '../support/fixtures';

const remote = loadHasuraMetadata().remoteSchemas.find((s) => s.name === 'auth') as RemoteSchemaMetadata;
const JWT = { type: 'HS256', key: TEST_JWT_KEY } as const;
const TTL_DAYS = 30;

const clock = new TestClock(new Date('2026-12-02T10:00:00Z'));

const signInAnonymously = async (service: { request: typeof t.service.request }, headers: Record<string, string> = {}) => {
  const res = await service.request(SigninAnonymousDocument, {}, headers);
  expect(res.errors).toBeUndefined();
  return res.data!.user_signin_anonymous;
};
const sessionOf = (access: string) => hasuraVerify(access, JWT, Math.floor(clock.now().getTime() / 1000));

const t = setupTestService({
  clock,
  mailbox: true,
  // The test client stands in for a proxy that names the client in X-Forwarded-For.
  env: { ANONYMOUS_USERS: 'true', TRUST_PROXY: '1', RATE_LIMIT_ANONYMOUS_PER_CLIENT: '3/1h' },
});
const prisma = () => t.service.services.db.prisma;
let clients = 0;
const newClient = () => ({ 'x-forwarded-for': `198.51.100.${++clients}` });

describe('user_signin_anonymous', () => {
  it('makes a new user with the anonymous role and the claim x-hasura-user-is-anonymous "true"', async () => {
    const tokens = await signInAnonymously(t.service, newClient());
    const session = sessionOf(tokens.access);
    expect(session.defaultRole).toBe('anonymous');
    expect(session.allowedRoles).toEqual(['anonymous']);
    expect(session.variables['x-hasura-user-is-anonymous']).toBe('true');
    const user = await prisma().user.findUniqueOrThrow({ where: { id: Number(session.variables['x-hasura-user-id']) } });
    expect(user).toMatchObject({ isAnonymous: true, passwordHash: null });
    expect(user.email.endsWith('@anonymous.invalid')).toBe(true);

    // A refreshed token says the same.
    const refreshed = await t.service.request(RefreshDocument, { arg: { refresh: tokens.refresh } });
    expect(sessionOf(refreshed.data!.user_refresh.access).variables['x-hasura-user-is-anonymous']).toBe('true');
  });

  it('a registered user\'s token carries no x-hasura-user-is-anonymous claim', async () => {
    const user = await t.users.register({ username: 'regular' });
    expect(sessionOf(user.tokens.access).variables).not.toHaveProperty('x-hasura-user-is-anonymous');
  });

  it('is rate limited per client (TRUST_PROXY): TOO_MANY_REQUESTS past the limit, other clients unaffected', async () => {
    const client = newClient();
    for (let i = 0; i < 3; i++) await signInAnonymously(t.service, client);
    const refused = await t.service.request(SigninAnonymousDocument, {}, client);
    expect(codeOf(refused)).toBe('TOO_MANY_REQUESTS');
    await signInAnonymously(t.service, newClient());
  });

  it('never gets an email: its placeholder address takes no sign-in or reset request, and the welcome webhook skips it', async () => {
    const tokens = await signInAnonymously(t.service, newClient());
    const user = await prisma().user.findUniqueOrThrow({ where: { id: Number(sessionOf(tokens.access).variables['x-hasura-user-id']) } });
    clock.advance(120);
    await t.service.request(SigninEmailDocument, { arg: { email: user.email } });
    expect(await prisma().signInEmailRequest.count({ where: { email: user.email } })).toBe(0);
    const welcome = await t.events.deliver('user_registered', await t.events.forRow('user_registered', user.id));
    expect(welcome).toMatchObject({ status: 200, body: { status: expect.stringMatching(/skipped|already_sent/) } });
    expect(t.mailbox.received.filter((m) => m.envelope.to.some((to) => to.endsWith('@anonymous.invalid')))).toEqual([]);
  });

  it('cannot be registered into: the placeholder domain is not an address', async () => {
    const res = await t.service.gql(REGISTER, { arg: { username: 'sneaky', email: 'x@anonymous.invalid', password: 'a long enough passphrase' } });
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { email: [expect.any(String)] } });
  });
});

describe('the upgrade by user_register, through Hasura', () => {
  let options: GatewayOptions;
  beforeAll(async () => {
    options = {
      jwtSecret: JWT,
      unauthorizedRole: 'public',
      env: { AUTH_SERVICE_URL: t.service.url, EVENT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET },
      nowSeconds: Math.floor(clock.now().getTime() / 1000),
    };
    // The app's own table, as an app tracks it in Hasura: rows owned by a user.
    await t.service.services.db.pool.query(
      'CREATE TABLE notes (id serial PRIMARY KEY, owner_id int NOT NULL REFERENCES users(id) ON DELETE CASCADE, body text NOT NULL)',
    );
  });

  /** An insert through Hasura with the permission `owner_id: X-Hasura-User-Id` (a column preset). */
  const insertNote = async (access: string, body: string) => {
    const session = hasuraSession({ Authorization: `Bearer ${access}` }, options, options.nowSeconds);
    await t.service.services.db.pool.query('INSERT INTO notes (owner_id, body) VALUES ($1, $2)', [Number(session.variables['x-hasura-user-id']), body]);
  };
  /** A select through Hasura with the filter `owner_id: {_eq: X-Hasura-User-Id}`. */
  const myNotes = async (access: string) => {
    const session = hasuraSession({ Authorization: `Bearer ${access}` }, options, options.nowSeconds);
    const { rows } = await t.service.services.db.pool.query<{ body: string }>('SELECT body FROM notes WHERE owner_id = $1 ORDER BY id', [
      Number(session.variables['x-hasura-user-id']),
    ]);
    return rows.map((r) => r.body);
  };

  it('keeps the user id and its rows; the next token has the default role and no anonymous claim', async () => {
    const anonymous = await signInAnonymously(t.service, newClient());
    const anonymousId = sessionOf(anonymous.access).variables['x-hasura-user-id'];
    await insertNote(anonymous.access, 'first try');
    await insertNote(anonymous.access, 'second try');

    const upgraded = await forwardThroughHasura(
      remote,
      {
        headers: { Authorization: `Bearer ${anonymous.access}`, 'Content-Type': 'application/json' },
        body: { query: REGISTER, variables: { arg: { username: 'convert', email: 'convert@example.com', password: 'a long enough passphrase' } } },
      },
      options,
    );
    expect(upgraded.body.errors).toBeUndefined();
    const registered = upgraded.body.data!.user_register as { id: number; username: string; tokens: { access: string; refresh: string } };
    expect(String(registered.id)).toBe(anonymousId);
    expect(registered.username).toBe('convert');

    const session = sessionOf(registered.tokens.access);
    expect(session.variables['x-hasura-user-id']).toBe(anonymousId);
    expect(session.defaultRole).toBe('user');
    expect(session.variables).not.toHaveProperty('x-hasura-user-is-anonymous');
    expect(await myNotes(registered.tokens.access)).toEqual(['first try', 'second try']);

    const user = await prisma().user.findUniqueOrThrow({ where: { id: registered.id } });
    expect(user).toMatchObject({ isAnonymous: false, email: 'convert@example.com' });
    // The anonymous session is over: its refresh token no longer works.
    expect(codeOf(await t.service.request(RefreshDocument, { arg: { refresh: anonymous.refresh } }))).toBe('UNAUTHENTICATED');
    // The password signs in as the same user.
    const login = await t.service.gql<{ user_login: { access: string } }>(
      'query($arg: UserLogin!) { user_login(arg: $arg) { access } }',
      { arg: { username: 'convert', password: 'a long enough passphrase' } },
    );
    expect(sessionOf(login.data!.user_login.access).variables['x-hasura-user-id']).toBe(anonymousId);
  });

  it('with a taken email the upgrade is refused and the user stays anonymous', async () => {
    await t.users.register({ username: 'incumbent', email: 'taken@example.com' });
    const anonymous = await signInAnonymously(t.service, newClient());
    const res = await t.service.gql(REGISTER, { arg: { username: 'latecomer', email: 'taken@example.com', password: 'a long enough passphrase' } }, bearer(anonymous.access));
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { email: [expect.any(String)] } });
    const id = Number(sessionOf(anonymous.access).variables['x-hasura-user-id']);
    expect((await prisma().user.findUniqueOrThrow({ where: { id } })).isAnonymous).toBe(true);
  });

  it("a registered user's token on user_register registers a new account, as before", async () => {
    const existing = await t.users.register({ username: 'host' });
    const res = await t.service.gql<{ user_register: { id: number } }>(
      REGISTER,
      { arg: { username: 'guest', email: 'guest@example.com', password: 'a long enough passphrase' } },
      bearer(existing.tokens.access),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.user_register.id).not.toBe(existing.id);
  });
});

describe(`the clean-up after ANONYMOUS_USER_TTL (${TTL_DAYS} days by default)`, () => {
  it('removes only anonymous users unused for that long, with their rows; through the Hasura cron trigger webhook too', async () => {
    const stale = await signInAnonymously(t.service, newClient());
    const staleId = Number(sessionOf(stale.access).variables['x-hasura-user-id']);
    await t.service.services.db.pool.query('INSERT INTO notes (owner_id, body) VALUES ($1, $2)', [staleId, 'abandoned']);
    const regular = await t.users.register({ username: 'old_timer' });

    clock.advance((TTL_DAYS - 1) * 86400);
    const active = await signInAnonymously(t.service, newClient());
    const activeId = Number(sessionOf(active.access).variables['x-hasura-user-id']);
    // Not stale yet: one day short.
    expect(await t.service.services.anonymousUsers.removeStale()).toBe(0);

    clock.advance(2 * 86400);
    const cron = await fetch(`${t.service.url}/events/anonymous_users_cleanup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': TEST_WEBHOOK_SECRET },
      body: JSON.stringify({ scheduled_time: clock.now().toISOString(), payload: {}, name: 'anonymous_users_cleanup', id: 'x', comment: null }),
    });
    expect(cron.status).toBe(200);
    expect(((await cron.json()) as { removed: number }).removed).toBeGreaterThanOrEqual(1);

    expect(await prisma().user.findUnique({ where: { id: staleId } })).toBeNull();
    expect((await t.service.services.db.pool.query('SELECT 1 FROM notes WHERE owner_id = $1', [staleId])).rowCount).toBe(0);
    expect(await prisma().user.findUnique({ where: { id: activeId } })).not.toBeNull();
    expect(await prisma().user.findUnique({ where: { id: regular.id } })).not.toBeNull();
    // Every user left that is anonymous was used within the TTL.
    const since = new Date(clock.now().getTime() - TTL_DAYS * 86400 * 1000);
    const leftovers = await prisma().user.findMany({ where: { isAnonymous: true, createdAt: { lt: since } } });
    expect(leftovers).toEqual([]);
  });

  it("skips a user whose app rows refuse the delete, and still removes the others", async () => {
    await t.service.services.db.pool.query('CREATE TABLE receipts (id serial PRIMARY KEY, owner_id int NOT NULL REFERENCES users(id))');
    const kept = await signInAnonymously(t.service, newClient());
    const keptId = Number(sessionOf(kept.access).variables['x-hasura-user-id']);
    await t.service.services.db.pool.query('INSERT INTO receipts (owner_id) VALUES ($1)', [keptId]);
    const gone = await signInAnonymously(t.service, newClient());
    const goneId = Number(sessionOf(gone.access).variables['x-hasura-user-id']);

    clock.advance((TTL_DAYS + 1) * 86400);
    expect(await t.service.services.anonymousUsers.removeStale()).toBeGreaterThanOrEqual(1);
    expect(await prisma().user.findUnique({ where: { id: goneId } })).toBeNull();
    expect(await prisma().user.findUnique({ where: { id: keptId } })).not.toBeNull();
  });

  it('refuses the cron webhook without the secret', async () => {
    const res = await fetch(`${t.service.url}/events/anonymous_users_cleanup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
  });
});

describe('with ANONYMOUS_USERS off (the default)', () => {
  const off = setupTestService();
  it('user_signin_anonymous answers FORBIDDEN and makes nobody', async () => {
    const before = await off.service.services.db.prisma.user.count();
    expect(codeOf(await off.service.request(SigninAnonymousDocument, {}))).toBe('FORBIDDEN');
    expect(await off.service.services.db.prisma.user.count()).toBe(before);
  });
});
