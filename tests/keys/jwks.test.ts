// The jwk_url mode, per algorithm: tokens verify against the service's own JWK set with an
// independent verifier (jose's remote JWK set) and with Hasura's claim rules; the JWK set answer
// is cacheable the way Hasura needs and never carries a private parameter.
import { generateKeyPairSync } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { PRIVATE_JWK_MEMBERS } from '../../src/keys/signing-key';
import { RefreshDocument, SampleDocument } from '../generated/graphql';
import { bearer } from '../support/fixtures';
import { forwardThroughHasura, type GatewayOptions } from '../support/hasura-gateway';
import { HasuraJwkSet, hasuraVerify } from '../support/hasura-jwt';
import { loadHasuraMetadata, type RemoteSchemaMetadata } from '../support/hasura-metadata';
import { SAMPLE } from '../support/operations';
import { codeOf, TEST_WEBHOOK_SECRET } from '../support/service';
import { setupTestService } from '../support/setup';

const JWK_URL = 'http://auth:4000/.well-known/jwks.json';

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('signing with %s', (algorithm) => {
  const t = setupTestService({
    env: { HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ jwk_url: JWK_URL }), JWT_ALGORITHM: algorithm, JWKS_MAX_AGE: '120' },
  });
  const jwksUrl = () => `${t.service.url}/.well-known/jwks.json`;

  it('issues tokens that jose verifies against the service JWK set, with kid and zero skew', async () => {
    const user = await t.users.register();
    const header = decodeProtectedHeader(user.tokens.access);
    expect(header).toMatchObject({ alg: algorithm, typ: 'JWT' });
    expect(typeof header.kid).toBe('string');
    const { payload } = await jwtVerify(user.tokens.access, createRemoteJWKSet(new URL(jwksUrl())), { algorithms: [algorithm], clockTolerance: 0 });
    expect(payload.sub).toBe(String(user.id));

    const refreshed = await t.service.request(RefreshDocument, { arg: { refresh: user.tokens.refresh } });
    const again = refreshed.data!.user_refresh.access;
    expect(decodeProtectedHeader(again).kid).toBe(header.kid);
    await expect(jwtVerify(again, createRemoteJWKSet(new URL(jwksUrl())), { algorithms: [algorithm] })).resolves.toBeDefined();
  });

  it('follows Hasura’s claim rules: namespace, string session variables, default among allowed roles', async () => {
    const user = await t.users.register();
    const keys = new HasuraJwkSet(jwksUrl());
    await keys.refreshIfDue();
    const session = hasuraVerify(user.tokens.access, { jwk_url: jwksUrl(), keys });
    expect(session.defaultRole).toBe('user');
    expect(session.allowedRoles).toEqual(['user']);
    expect(session.variables).toEqual({ 'x-hasura-user-id': String(user.id), 'x-hasura-user-email-verified': 'false' });
  });

  it('accepts its own tokens from callers and refuses one whose kid it never published', async () => {
    const user = await t.users.register();
    expect((await t.service.request(SampleDocument, { food: 'salad' }, bearer(user.tokens.access))).errors).toBeUndefined();

    const claims = JSON.parse(Buffer.from(user.tokens.access.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const stranger = algorithm === 'EdDSA' ? generateKeyPairSync('ed25519') : algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: algorithm, kid: 'not-published' }).sign(stranger.privateKey);
    expect(codeOf(await t.service.request(SampleDocument, { food: 'x' }, bearer(forged)))).toBe('UNAUTHENTICATED');
    // The published kid on a token signed by another key is no better.
    const kid = decodeProtectedHeader(user.tokens.access).kid!;
    const borrowed = await new SignJWT(claims).setProtectedHeader({ alg: algorithm, kid }).sign(stranger.privateKey);
    expect(codeOf(await t.service.request(SampleDocument, { food: 'x' }, bearer(borrowed)))).toBe('UNAUTHENTICATED');
  });

  it('serves the JWK set with Cache-Control max-age and an ETag, 304 to If-None-Match, and no private parameter', async () => {
    const response = await fetch(jwksUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/(^|[ ,])max-age=120($|,)/);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    const body = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of body.keys) {
      expect(key).toMatchObject({ alg: algorithm, use: 'sig' });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(member);
    }
    expect(PRIVATE_JWK_MEMBERS).toEqual(expect.arrayContaining(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']));

    const again = await fetch(jwksUrl(), { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toMatch(/max-age=120/);
    expect(await again.text()).toBe('');
    expect((await fetch(jwksUrl(), { headers: { 'if-none-match': '"something-else"' } })).status).toBe(200);
  });
});

describe('the HMAC mode', () => {
  const t = setupTestService();

  it('publishes no JWK set: an HMAC key is never served', async () => {
    expect((await fetch(`${t.service.url}/.well-known/jwks.json`)).status).toBe(404);
  });
});

describe('keys from JWT_PRIVATE_KEYS', () => {
  const first = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const second = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const t = setupTestService({
    env: {
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ jwk_url: JWK_URL }),
      JWT_PRIVATE_KEYS: JSON.stringify({ keys: [{ ...first, kid: 'vault-1' }, { ...second, kid: 'vault-0' }] }),
    },
  });

  it('signs with the first key, publishes every key’s public half, and stores none', async () => {
    const user = await t.users.register();
    expect(decodeProtectedHeader(user.tokens.access)).toMatchObject({ alg: 'EdDSA', kid: 'vault-1' });
    const body = (await (await fetch(`${t.service.url}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys.map((k) => k.kid)).toEqual(['vault-1', 'vault-0']);
    expect(body.keys.map((k) => k.x)).toEqual([first.x, second.x]);
    for (const key of body.keys) expect(key).not.toHaveProperty('d');
    await expect(jwtVerify(user.tokens.access, createRemoteJWKSet(new URL(`${t.service.url}/.well-known/jwks.json`)))).resolves.toBeDefined();
    expect(await t.service.services.db.prisma.signingKey.count()).toBe(0);
  });
});

describe('the stand-in Hasura in the jwk_url mode', () => {
  const t = setupTestService({ env: { HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ jwk_url: JWK_URL }), JWKS_MAX_AGE: '60' } });
  const remote = loadHasuraMetadata().remoteSchemas.find((s) => s.name === 'auth') as RemoteSchemaMetadata;

  it('serves a caller whose token verifies against the JWK set it fetched, re-fetching only after max-age', async () => {
    let hasuraNow = Date.now();
    const keys = new HasuraJwkSet(`${t.service.url}/.well-known/jwks.json`, () => hasuraNow);
    const options: GatewayOptions = {
      jwtSecret: { jwk_url: keys.url, keys },
      unauthorizedRole: 'public',
      env: { AUTH_SERVICE_URL: t.service.url, EVENT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET },
    };
    const user = await t.users.register();
    const sample = () =>
      forwardThroughHasura(remote, { headers: { Authorization: `Bearer ${user.tokens.access}` }, body: { query: SAMPLE, variables: { food: 'hot dog' } } }, options);

    expect((await sample()).body).toEqual({ data: { action_sample: { hotdog: true } } });
    await sample();
    expect(keys.fetches).toBe(1);
    hasuraNow += 59_000;
    await sample();
    expect(keys.fetches).toBe(1);
    hasuraNow += 1_000;
    await sample();
    expect(keys.fetches).toBe(2);

    // A token signed by a key the set does not hold is refused by Hasura itself.
    const claims = JSON.parse(Buffer.from(user.tokens.access.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'elsewhere' }).sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    await expect(
      forwardThroughHasura(remote, { headers: { Authorization: `Bearer ${forged}` }, body: { query: SAMPLE, variables: { food: 'x' } } }, options),
    ).rejects.toThrow(/invalid-jwt|Could not verify JWT/);
  });
});
