// The service behind a stand-in Hasura (tests/support/hasura-gateway.ts) configured from the real
// metadata: Hasura's introspection, then client requests as Hasura turns them into requests to
// the remote schema — session from the JWT (or the unauthorized role), the role's permission
// enforced, client headers forwarded minus x-hasura-*, Host, Origin, Content-Type…, session
// variables added. The identity the service acts for is observed at its token verifier.
import type { Caller } from '../../src/auth/access-tokens';
import {
  forwardThroughHasura,
  hasuraSession,
  HasuraRequestError,
  introspectAsHasura,
  type ClientRequest,
  type GatewayOptions,
} from '../support/hasura-gateway';
import { loadHasuraMetadata, type RemoteSchemaMetadata } from '../support/hasura-metadata';
import { validateRoleSchema } from '../support/hasura-remote-permissions';
import { LOGIN, LOGIN_MFA, LOGOUT, REFRESH, REGISTER, SAMPLE, TOTP_ENABLE, TOTP_SETUP } from '../support/operations';
import { TEST_JWT_KEY, TEST_WEBHOOK_SECRET } from '../support/service';
import { setupTestService } from '../support/setup';
import { totpFor } from '../support/totp';

const remote = loadHasuraMetadata().remoteSchemas.find((s) => s.name === 'auth') as RemoteSchemaMetadata;

const t = setupTestService();
let options: GatewayOptions;
/** Identities the service's verifier returned, in order. */
let verified: Caller[];

beforeAll(async () => {
  const { service } = t;
  options = {
    jwtSecret: { type: 'HS256', key: TEST_JWT_KEY },
    unauthorizedRole: 'public',
    env: { AUTH_SERVICE_URL: service.url, EVENT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET },
  };
  const tokens = service.services.tokens;
  const verify = tokens.verify.bind(tokens);
  tokens.verify = async (token: string) => {
    const caller = await verify(token);
    verified.push(caller);
    return caller;
  };
});
beforeEach(() => {
  verified = [];
});

/** Headers a browser app sends to Hasura. */
const browser = (extra: Record<string, string> = {}) => ({
  Host: 'hasura.example.com',
  Origin: 'https://app.example.com',
  'User-Agent': 'Mozilla/5.0 (test)',
  'Content-Type': 'application/json',
  Accept: 'application/json',
  'X-Request-Id': 'trace-1234',
  ...extra,
});

function request(query: string, variables: Record<string, unknown>, headers: Record<string, string>): ClientRequest {
  return { headers, body: { query, variables } };
}

const through = (req: ClientRequest, overrides: Partial<GatewayOptions> = {}) => forwardThroughHasura(remote, req, { ...options, ...overrides });

async function signUp(username: string): Promise<{ id: number; access: string; refresh: string }> {
  const res = await through(request(REGISTER, { arg: { username, email: `${username}@example.com`, password: 'a perfectly fine password' } }, browser()));
  expect(res.body.errors).toBeUndefined();
  const user = res.body.data?.user_register as { id: number; tokens: { access: string; refresh: string } };
  return { id: user.id, ...user.tokens };
}

describe('Hasura adding the remote schema', () => {
  it('introspects it with its own query and accepts every role’s permission against the answer', async () => {
    const upstream = await introspectAsHasura(remote, options.env);
    expect(upstream.getQueryType()?.name).toBe('Query');
    expect(upstream.getSubscriptionType()).toBeFalsy();
    for (const permission of remote.permissions ?? []) {
      expect({ role: permission.role, errors: validateRoleSchema(permission.definition.schema, upstream).errors }).toEqual({ role: permission.role, errors: [] });
    }
  });
});

describe('requests through Hasura', () => {
  it('an unauthenticated sign-up runs as public and reaches user_register; Hasura’s headers replace the client’s', async () => {
    const res = await through(
      request(REGISTER, { arg: { username: 'gw_alice', email: 'gw_alice@example.com', password: 'a perfectly fine password' } }, browser({ 'Content-Type': 'text/plain' })),
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.user_register).toMatchObject({ username: 'gw_alice' });
    expect(res.sentHeaders).toMatchObject({
      'x-hasura-role': 'public',
      'content-type': 'application/json',
      'user-agent': expect.stringMatching(/^hasura-graphql-engine\//),
      'x-forwarded-host': 'hasura.example.com',
      'x-forwarded-user-agent': 'Mozilla/5.0 (test)',
      'x-request-id': 'trace-1234',
    });
    expect(res.sentHeaders.origin).toBeUndefined();
    expect(res.sentHeaders.host).toBeUndefined();
    expect(res.sentHeaders.authorization).toBeUndefined();
  });

  it('a token the service issued is accepted by Hasura as is, and action_sample runs as that user', async () => {
    const alice = await signUp('gw_sample');
    const session = hasuraSession({ Authorization: `Bearer ${alice.access}` }, options);
    expect(session).toEqual({
      role: 'user',
      variables: { 'x-hasura-user-id': String(alice.id), 'x-hasura-role': 'user', 'x-hasura-user-email-verified': 'false' },
    });

    const res = await through(request(SAMPLE, { food: 'Hot Dog' }, browser({ Authorization: `Bearer ${alice.access}` })));
    expect(res.body).toEqual({ data: { action_sample: { hotdog: true } } });
    expect(res.sentHeaders).toMatchObject({ authorization: `Bearer ${alice.access}`, 'x-hasura-role': 'user', 'x-hasura-user-id': String(alice.id) });
    expect(verified.map((c) => c.userId)).toEqual([alice.id]);
    // The trace id the client sent crosses Hasura and names the service's log line for the resolver.
    const line = t.service.logs.map((l) => JSON.parse(l) as { requestId?: string; operation?: string }).filter((l) => l.requestId === 'trace-1234').pop();
    expect(line?.operation).toBe('action_sample');
  });

  it('login through Hasura returns the pair; logout works with or without the Authorization header', async () => {
    const user = await signUp('gw_login');
    const login = await through(request(LOGIN, { arg: { username: 'gw_login', password: 'a perfectly fine password' } }, browser()));
    const pair = login.body.data?.user_login as { access: string; refresh: string };
    expect(pair.access.split('.')).toHaveLength(3);

    const withToken = await through(request(LOGOUT, { arg: { refresh: pair.refresh } }, browser({ Authorization: `Bearer ${pair.access}` })));
    expect(withToken.body).toEqual({ data: { user_logout: { status: 'OK' } } });
    const without = await through(request(LOGOUT, { arg: { refresh: user.refresh } }, browser()));
    expect(without.body).toEqual({ data: { user_logout: { status: 'OK' } } });
  });

  it('user_refresh works without an Authorization header; with an expired token Hasura refuses the request', async () => {
    const bob = await signUp('gw_refresh');
    const later = Math.floor(Date.now() / 1000) + t.service.config.tokens.accessTtl + 1;
    await expect(
      through(request(REFRESH, { arg: { refresh: bob.refresh } }, browser({ Authorization: `Bearer ${bob.access}` })), { nowSeconds: later }),
    ).rejects.toMatchObject({ code: 'invalid-jwt' });
    const res = await through(request(REFRESH, { arg: { refresh: bob.refresh } }, browser()), { nowSeconds: later });
    expect(res.body.errors).toBeUndefined();
    expect((res.body.data?.user_refresh as { access: string }).access.split('.')).toHaveLength(3);
  });

  it('the public role cannot reach operations that need a token: Hasura refuses them', async () => {
    await expect(through(request(SAMPLE, { food: 'hotdog' }, browser()))).rejects.toBeInstanceOf(HasuraRequestError);
  });

  it('two-step sign-in: a user sets TOTP up through Hasura, then logs in with the ticket and a code as public', async () => {
    const user = await signUp('gw_totp');
    const auth = browser({ Authorization: `Bearer ${user.access}` });
    const setup = await through(request(TOTP_SETUP, {}, auth));
    const secret = (setup.body.data?.user_mfa_totp_setup as { secret: string }).secret;
    // The real clock: the current code turns TOTP on; the login uses the next step's (one step early is accepted).
    const enabled = await through(request(TOTP_ENABLE, { arg: { code: totpFor(secret, new Date()) } }, auth));
    expect((enabled.body.data?.user_mfa_totp_enable as { codes: string[] }).codes).toHaveLength(10);

    const first = await through(request(LOGIN, { arg: { username: 'gw_totp', password: 'a perfectly fine password' } }, browser()));
    expect(first.body.errors?.[0]?.extensions?.code).toBe('MFA_REQUIRED');
    const ticket = (first.body.errors?.[0]?.extensions as { ticket?: string }).ticket;
    const second = await through(request(LOGIN_MFA, { arg: { ticket, code: totpFor(secret, new Date(), 1) } }, browser()));
    expect(second.body.errors).toBeUndefined();
    expect((second.body.data?.user_login_mfa as { access: string }).access.split('.')).toHaveLength(3);
  });

  it('the public role cannot set up a second factor: Hasura refuses it', async () => {
    await expect(through(request(TOTP_SETUP, {}, browser()))).rejects.toBeInstanceOf(HasuraRequestError);
  });
});

describe('forged session variables gain nothing', () => {
  it('x-hasura-user-id and x-hasura-role: admin without a token: public at Hasura, unauthenticated at the service', async () => {
    const victim = await signUp('gw_victim');
    const forged = browser({ 'X-Hasura-User-Id': String(victim.id), 'X-Hasura-Role': 'admin' });
    expect(hasuraSession(forged, options)).toEqual({ role: 'public', variables: { 'x-hasura-user-id': String(victim.id), 'x-hasura-role': 'public' } });
    await expect(through(request(SAMPLE, { food: 'hotdog' }, forged))).rejects.toMatchObject({ code: 'validation-failed' });

    // Even if remote schema permissions were off, Hasura would forward the forged id as a session
    // variable — the service must not take it.
    const res = await through(request(SAMPLE, { food: 'hotdog' }, forged), { remoteSchemaPermissions: false });
    expect(res.sentHeaders['x-hasura-user-id']).toBe(String(victim.id));
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data).toEqual({ action_sample: null });
    expect(verified).toEqual([]);
  });

  it('with another user’s token, a forged x-hasura-user-id is dropped by Hasura and ignored by the service', async () => {
    const victim = await signUp('gw_victim2');
    const mallory = await signUp('gw_mallory');
    const res = await through(request(SAMPLE, { food: 'hotdog' }, browser({ Authorization: `Bearer ${mallory.access}`, 'X-Hasura-User-Id': String(victim.id) })));
    expect(res.body.errors).toBeUndefined();
    expect(res.sentHeaders['x-hasura-user-id']).toBe(String(mallory.id));
    expect(verified.map((c) => c.userId)).toEqual([mallory.id]);
  });

  it('x-hasura-role: admin with a user’s token is refused by Hasura, and ignored by the service if it ever arrives', async () => {
    const victim = await signUp('gw_victim3');
    const mallory = await signUp('gw_mallory3');
    await expect(
      through(request(SAMPLE, { food: 'hotdog' }, browser({ Authorization: `Bearer ${mallory.access}`, 'X-Hasura-Role': 'admin' }))),
    ).rejects.toMatchObject({ code: 'access-denied' });

    // Straight to the service, as a misbehaving proxy could send it: the token alone decides.
    const direct = await t.service.gql(SAMPLE, { food: 'hotdog' }, {
      authorization: `Bearer ${mallory.access}`,
      'x-hasura-role': 'admin',
      'x-hasura-user-id': String(victim.id),
    });
    expect(direct.errors).toBeUndefined();
    expect(verified.map((c) => [c.userId, c.role])).toEqual([[mallory.id, 'user']]);
  });
});
