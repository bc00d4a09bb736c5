// Access tokens: Hasura accepts them as they are, under every JWT configuration it supports, and
// the operations that need a caller accept nothing else.
import jwt from 'jsonwebtoken';
import { AccessTokens } from '../../src/auth/access-tokens';
import { UnauthenticatedError } from '../../src/auth/errors';
import { parseJwtSecret } from '../../src/auth/jwt-config';
import { HmacSigner } from '../../src/keys/jwt-signer';
import { ChangePasswordDocument, LoginDocument, SampleDocument } from '../generated/graphql';
import { assignRole, bearer, PASSWORD, registerUser, type TestUser } from '../support/fixtures';
import { hasuraVerify, type HasuraJwtSecret } from '../support/hasura-jwt';
import { startTestService, TEST_JWT_KEY, TestClock, type TestService } from '../support/service';
import { setupTestDatabase, setupTestService } from '../support/setup';

const database = setupTestDatabase();

async function withService<T>(secret: HasuraJwtSecret, fn: (s: TestService) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const service = await startTestService(database.db, { env: { HASURA_GRAPHQL_JWT_SECRET: JSON.stringify(secret), ...env } });
  try {
    return await fn(service);
  } finally {
    await service.stop();
  }
}

describe('access tokens are accepted by Hasura as they are', () => {
  it.each<[string, HasuraJwtSecret]>([
    ['json claims (default namespace)', { type: 'HS256', key: TEST_JWT_KEY }],
    ['stringified_json claims', { type: 'HS256', key: TEST_JWT_KEY, claims_format: 'stringified_json' }],
    ['a custom namespace, HS384, issuer and audience', { type: 'HS384', key: TEST_JWT_KEY, claims_namespace: 'hasura', issuer: 'auth.example.com', audience: 'my-app' }],
    ['HS512 with a list of audiences', { type: 'HS512', key: TEST_JWT_KEY + TEST_JWT_KEY, audience: ['a', 'b'] }],
  ])('with %s', async (_, secret) => {
    await withService(secret, async (service) => {
      const user = await registerUser(service, { prefix: 'claims' });
      const now = Math.floor(Date.now() / 1000);
      const session = hasuraVerify(user.tokens.access, secret, now);
      expect(session.allowedRoles).toEqual(['user']);
      expect(session.defaultRole).toBe('user');
      // A new address is not verified yet: Hasura permissions can tell.
      expect(session.variables).toEqual({ 'x-hasura-user-id': String(user.id), 'x-hasura-user-email-verified': 'false' });

      const p = session.payload;
      expect(p).toMatchObject({ sub: String(user.id), token_type: 'access', user_name: user.username, user_email: user.email });
      expect(typeof p.jti).toBe('string');
      expect(typeof p.sid).toBe('string');
      expect(p.iat).toBeLessThanOrEqual(now);
      expect(p.exp).toBe((p.iat as number) + 15 * 60);
      if (secret.issuer) expect(p.iss).toBe(secret.issuer);

      // The service accepts its own token on an authenticated operation.
      const sample = await service.request(SampleDocument, { food: 'hot dog' }, bearer(user.tokens.access));
      expect(sample.data).toEqual({ action_sample: { hotdog: true } });
    });
  });

  it('uses ACCESS_TOKEN_TTL for exp', async () => {
    await withService({ type: 'HS256', key: TEST_JWT_KEY }, async (service) => {
      const user = await registerUser(service, { prefix: 'claims' });
      const p = hasuraVerify(user.tokens.access, { type: 'HS256', key: TEST_JWT_KEY }).payload;
      expect((p.exp as number) - (p.iat as number)).toBe(300);
    }, { ACCESS_TOKEN_TTL: '5m' });
  });

  it('keeps the role a user has in the database', async () => {
    await withService({ type: 'HS256', key: TEST_JWT_KEY }, async (service) => {
      const user = await registerUser(service, { prefix: 'claims' });
      await assignRole(service, user.id, 'manager');
      const res = await service.request(LoginDocument, { arg: { username: user.username, password: PASSWORD } });
      const session = hasuraVerify(res.data!.user_login.access, { type: 'HS256', key: TEST_JWT_KEY });
      expect(session.defaultRole).toBe('manager');
      expect(session.allowedRoles).toEqual(['manager']);
    });
  });
});

describe('operations that need a caller refuse anything but a valid access token', () => {
  const t = setupTestService({ database });
  let user: TestUser;
  const secret = { type: 'HS256' as const, key: TEST_JWT_KEY };

  beforeAll(async () => {
    user = await t.users.register({ prefix: 'claims' });
  });

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (payload: Record<string, unknown>, key = TEST_JWT_KEY) => jwt.sign(payload, key, { algorithm: 'HS256' });
  const validPayload = () => {
    const { payload } = hasuraVerify(user.tokens.access, secret);
    return payload;
  };

  const cases: [string, () => Record<string, string>][] = [
    ['no token', () => ({})],
    ['a malformed header', () => ({ authorization: `Token ${user.tokens.access}` })],
    ['a bearer without a token', () => ({ authorization: 'Bearer ' })],
    ['a bearer of garbage', () => ({ authorization: 'Bearer not.a.jwt' })],
    ['alg none', () => {
      const [, payload] = user.tokens.access.split('.');
      return { authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${payload}.` };
    }],
    ['a token signed with another key', () => ({ authorization: `Bearer ${sign(validPayload(), 'another-key-that-is-also-long-enough-0123')}` })],
    ['an expired token', () => {
      const now = Math.floor(Date.now() / 1000);
      return { authorization: `Bearer ${sign({ ...validPayload(), iat: now - 100, exp: now - 1 })}` };
    }],
    ['a tampered payload', () => {
      const [header, , signature] = user.tokens.access.split('.');
      const forged = { ...validPayload(), sub: '1', 'https://hasura.io/jwt/claims': { 'x-hasura-allowed-roles': ['admin'], 'x-hasura-default-role': 'admin', 'x-hasura-user-id': '1' } };
      return { authorization: `Bearer ${header}.${b64(forged)}.${signature}` };
    }],
    ['a refresh token presented as access', () => ({ authorization: `Bearer ${user.tokens.refresh}` })],
    ['a validly signed token that is not an access token', () => ({ authorization: `Bearer ${sign({ ...validPayload(), token_type: 'refresh' })}` })],
    ['an HS512 token when HS256 is configured', () => ({
      authorization: `Bearer ${jwt.sign(validPayload(), TEST_JWT_KEY, { algorithm: 'HS512' })}`,
    })],
    ['x-hasura-user-id and x-hasura-role headers without a token', () => ({ 'x-hasura-user-id': String(user.id), 'x-hasura-role': 'user' })],
  ];

  it.each(cases)('action_sample with %s: UNAUTHENTICATED', async (_, headers) => {
    const res = await t.service.request(SampleDocument, { food: 'hotdog' }, headers());
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data?.action_sample ?? null).toBeNull();
  });

  it.each(cases)('user_change_password with %s: UNAUTHENTICATED', async (_, headers) => {
    const res = await t.service.request(ChangePasswordDocument, { arg: { old_password: PASSWORD, new_password: 'another long password' } }, headers());
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('the same request with the real token succeeds (the cases above fail for the reason named)', async () => {
    const res = await t.service.request(SampleDocument, { food: 'salad' }, bearer(user.tokens.access));
    expect(res.data).toEqual({ action_sample: { hotdog: false } });
    // And a hand-built token with the right key is accepted, so the forgeries fail on their flaw alone.
    const resigned = sign(validPayload());
    expect((await t.service.request(SampleDocument, { food: 'x' }, bearer(resigned))).errors).toBeUndefined();
  });
});

describe('a token verified once is remembered, never past its expiry', () => {
  const subject = { userId: 7, username: 'ann', email: 'ann@example.com', role: 'user', sessionId: '2f1c7a52-7c0e-4d43-9a39-2b7a8f1d9e10' };

  it('accepts it again until exp, then refuses it at exp exactly', async () => {
    const clock = new TestClock(new Date('2026-01-01T00:00:00Z'));
    const tokens = hmacTokens(clock);
    const token = await tokens.sign(subject);
    expect(await tokens.verify(token)).toEqual({ userId: 7, role: 'user', sessionId: subject.sessionId });
    clock.advance(59);
    expect(await tokens.verify(token)).toMatchObject({ userId: 7 });
    clock.advance(1);
    await expect(tokens.verify(token)).rejects.toThrow(UnauthenticatedError);
    // Still refused afterwards, now without a remembered entry.
    await expect(tokens.verify(token)).rejects.toThrow(UnauthenticatedError);
  });

  it('does not let a remembered token vouch for an altered one', async () => {
    const clock = new TestClock();
    const tokens = hmacTokens(clock);
    const token = await tokens.sign(subject);
    await tokens.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: '8' })).toString('base64url')}.${signature}`;
    await expect(tokens.verify(forged)).rejects.toThrow(UnauthenticatedError);
  });

  it('hands out a caller no request can change for the next', async () => {
    const tokens = hmacTokens(new TestClock());
    const token = await tokens.sign(subject);
    const first = (await tokens.verify(token)) as { userId: number };
    // Modules are strict: writing to a frozen object throws.
    expect(() => {
      first.userId = 1;
    }).toThrow(TypeError);
    expect((await tokens.verify(token)).userId).toBe(7);
  });
});

function hmacTokens(clock: TestClock): AccessTokens {
  const config = parseJwtSecret(JSON.stringify({ type: 'HS256', key: TEST_JWT_KEY }));
  if (config.mode !== 'hmac') throw new Error('expected an HMAC configuration');
  return new AccessTokens(config, 60, clock, new HmacSigner(config));
}
