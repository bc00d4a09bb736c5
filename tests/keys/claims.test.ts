// Several roles per user and custom claims from JWT_CLAIMS_FUNCTION: read from the database when
// each token is issued (sign-in and refresh), in Hasura's formats, and refused — no token, the
// reason in the log — when the function fails or returns what no token may carry.
import pg from 'pg';
import { LoginDocument, RefreshDocument } from '../generated/graphql';
import { hasuraVerify } from '../support/hasura-jwt';
import { codeOf, TEST_JWT_KEY } from '../support/service';
import { setupTestDatabase, setupTestService } from '../support/setup';
import type { TestUser } from '../support/fixtures';

const FUNCTION = 'test_claims.jwt_claims';
const database = setupTestDatabase();
const t = setupTestService({ database, env: { JWT_CLAIMS_FUNCTION: FUNCTION } });

// In a schema of its own, dropped afterwards: the embedded database is shared by every test file.
const SETUP = `
  CREATE SCHEMA test_claims;
  CREATE TABLE test_claims.org_members (user_id integer NOT NULL, org_id integer NOT NULL);
  CREATE TABLE test_claims.modes (user_id integer PRIMARY KEY, mode text NOT NULL);
  CREATE FUNCTION test_claims.jwt_claims(user_id integer) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
  DECLARE
    wanted text := (SELECT m.mode FROM test_claims.modes m WHERE m.user_id = jwt_claims.user_id);
  BEGIN
    CASE wanted
      WHEN 'fail' THEN RAISE EXCEPTION 'no organisation for user %', user_id;
      WHEN 'array' THEN RETURN '[1, 2]'::jsonb;
      WHEN 'null' THEN RETURN NULL;
      WHEN 'user-id' THEN RETURN '{"x-hasura-user-id": "1"}'::jsonb;
      WHEN 'default-role' THEN RETURN '{"x-hasura-default-role": "admin"}'::jsonb;
      WHEN 'allowed-roles' THEN RETURN '{"allowed_roles": ["admin"]}'::jsonb;
      WHEN 'nested' THEN RETURN '{"org": {"id": 1}}'::jsonb;
      ELSE RETURN jsonb_build_object(
        'org_ids', (SELECT coalesce(jsonb_agg(o.org_id ORDER BY o.org_id), '[]'::jsonb) FROM test_claims.org_members o WHERE o.user_id = jwt_claims.user_id),
        'plan', 'pro',
        'seats', 5,
        'is_admin', false,
        'homeRegion', 'eu-west',
        'x-hasura-tags', '["a", "b c", "d,e", ""]'::jsonb,
        'nickname', NULL);
    END CASE;
  END $$;`;

async function sql(text: string, values: unknown[] = []): Promise<void> {
  await t.service.services.db.pool.query(text, values);
}
beforeAll(() => sql(SETUP));
database.stopBeforeDrop(async () => {
  const client = new pg.Client({ connectionString: database.db.url });
  await client.connect();
  await client.query('DROP SCHEMA IF EXISTS test_claims CASCADE').finally(() => client.end());
});

const secret = { type: 'HS256' as const, key: TEST_JWT_KEY };
const sessionOf = (access: string) => hasuraVerify(access, secret);
const login = (user: TestUser) => t.service.request(LoginDocument, { arg: { username: user.username, password: user.password } });
const refresh = (user: TestUser) => t.service.request(RefreshDocument, { arg: { refresh: user.tokens.refresh } });
const roleId = async (name: string) => (await t.service.services.db.prisma.role.findUniqueOrThrow({ where: { name } })).id;

describe('roles', () => {
  it('puts the default role and every granted role in x-hasura-allowed-roles, as the database says when issued', async () => {
    const user = await t.users.register();
    expect(sessionOf(user.tokens.access).allowedRoles).toEqual(['user']);
    await t.service.services.db.prisma.userRole.create({ data: { userId: user.id, roleId: await roleId('manager') } });

    const refreshed = await refresh(user);
    expect(sessionOf(refreshed.data!.user_refresh.access)).toMatchObject({ defaultRole: 'user', allowedRoles: ['user', 'manager'] });
    const loggedIn = await login(user);
    expect(sessionOf(loggedIn.data!.user_login.access).allowedRoles).toEqual(['user', 'manager']);

    await t.service.services.db.prisma.userRole.deleteMany({ where: { userId: user.id } });
    expect(sessionOf((await refresh(user)).data!.user_refresh.access).allowedRoles).toEqual(['user']);
  });
});

describe('custom claims', () => {
  it('turns the function’s keys into x-hasura-… claims in Hasura’s formats', async () => {
    const user = await t.users.register();
    await sql('INSERT INTO test_claims.org_members (user_id, org_id) VALUES ($1, 3), ($1, 1)', [user.id]);
    const access = (await refresh(user)).data!.user_refresh.access;
    expect(sessionOf(access).variables).toEqual({
      'x-hasura-user-id': String(user.id),
      'x-hasura-user-email-verified': 'false',
      'x-hasura-org-ids': '{1,3}',
      'x-hasura-plan': 'pro',
      'x-hasura-seats': '5',
      'x-hasura-is-admin': 'false',
      'x-hasura-home-region': 'eu-west',
      'x-hasura-tags': '{a,"b c","d,e",""}',
    });
    // The registration's token, before any membership: an empty array literal.
    expect(sessionOf(user.tokens.access).variables['x-hasura-org-ids']).toBe('{}');
  });

  it.each([
    ['fail', /failed \(no organisation for user \d+\)/],
    ['array', /returned an array, not a JSON object/],
    ['null', /returned null, not a JSON object/],
    ['user-id', /tried to set x-hasura-user-id/],
    ['default-role', /tried to set x-hasura-default-role/],
    ['allowed-roles', /tried to set x-hasura-allowed-roles/],
    ['nested', /returned x-hasura-org as an object/],
  ])('issues no token when the function answers "%s", and logs why', async (mode, reason) => {
    const user = await t.users.register();
    await sql('INSERT INTO test_claims.modes (user_id, mode) VALUES ($1, $2)', [user.id, mode]);
    const sessions = () => t.service.services.db.prisma.session.count({ where: { userId: user.id } });
    const before = await sessions();
    const logged = t.service.logs.length;

    const loggedIn = await login(user);
    expect(codeOf(loggedIn)).toBe('INTERNAL_SERVER_ERROR');
    expect(loggedIn.data?.user_login ?? null).toBeNull();
    expect(await sessions()).toBe(before);
    const refreshed = await refresh(user);
    expect(codeOf(refreshed)).toBe('INTERNAL_SERVER_ERROR');
    expect(refreshed.data?.user_refresh ?? null).toBeNull();

    const lines = t.service.logs.slice(logged).filter((line) => line.includes(`JWT_CLAIMS_FUNCTION ${FUNCTION}`));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(reason);
    // The answer itself says nothing of the reason.
    expect(JSON.stringify(loggedIn)).not.toContain('JWT_CLAIMS_FUNCTION');
  });
});
