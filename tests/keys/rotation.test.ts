// The key ring over time, walked with the injectable clock: a next key is published at least
// 2 × JWKS_MAX_AGE before it signs (so Hasura, re-fetching only on max-age, always knows the key of
// any token it receives), a retired key keeps verifying until its last token expired and then
// leaves the JWK set, several instances sign with one key, keys:rotate works while they run, and
// no table holds a private key in a usable form.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { DerivedKeys } from '../../src/keys/derived-keys';
import { DatabaseKeyRing } from '../../src/keys/key-ring';
import { SealedSecrets } from '../../src/factors/sealed-secrets';
import { rotateSigningKeys } from '../../scripts/keys-rotate';
import { RefreshDocument, SampleDocument } from '../generated/graphql';
import { allStoredValues } from '../support/dump';
import { bearer, type TestUser } from '../support/fixtures';
import { HasuraJwkSet, hasuraVerify } from '../support/hasura-jwt';
import { codeOf, TestClock, TEST_AUTH_SECRET, type TestService } from '../support/service';
import { setupTestDatabase, setupTestService } from '../support/setup';

const MAX_AGE = 60;
const ACCESS_TTL = 300;
const ROTATION = 3600;
const STEP = 30;
const ENV = {
  HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ jwk_url: 'http://auth:4000/.well-known/jwks.json' }),
  JWT_ALGORITHM: 'ES256',
  JWKS_MAX_AGE: `${MAX_AGE}s`,
  ACCESS_TOKEN_TTL: `${ACCESS_TTL}s`,
  JWT_KEY_ROTATION: `${ROTATION}s`,
};

const clock = new TestClock(new Date('2026-06-01T00:00:00Z'));
const database = setupTestDatabase();
const t = setupTestService({ database, clock, env: ENV });
let other: TestService | undefined;
/** Another instance's key ring on the same database: works on the embedded database too. */
let otherRing: DatabaseKeyRing;

beforeAll(async () => {
  // The embedded database opens in one process only; a second real instance needs a server.
  if (!database.db.embedded) other = await database.startService({ clock, env: ENV });
  otherRing = new DatabaseKeyRing({
    db: t.service.services.db,
    clock,
    sealed: new SealedSecrets(new DerivedKeys(TEST_AUTH_SECRET).key('signing-key')),
    options: { algorithm: 'ES256', jwksMaxAge: MAX_AGE, rotation: ROTATION, accessTtl: ACCESS_TTL },
  });
});

const nowMs = () => clock.now().getTime();
const nowSeconds = () => Math.floor(nowMs() / 1000);
const jwksUrl = (service: TestService = t.service) => `${service.url}/.well-known/jwks.json`;
const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
const expOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
async function publishedKids(service: TestService = t.service): Promise<string[]> {
  const body = (await (await fetch(jwksUrl(service))).json()) as { keys: { kid: string }[] };
  return body.keys.map((k) => k.kid);
}
async function refresh(user: TestUser, service: TestService = t.service): Promise<string> {
  const res = await service.request(RefreshDocument, { arg: { refresh: user.tokens.refresh } });
  if (!res.data) throw new Error(`refresh refused: ${JSON.stringify(res.errors)}`);
  return res.data.user_refresh.access;
}
/** jose, fetching the JWK set afresh: the independent verifier, at the test clock's time. */
const joseVerify = (token: string) => jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl())), { currentDate: clock.now(), clockTolerance: 0 });

describe('rotation, step by step', () => {
  let user: TestUser;
  const hasura = () => new HasuraJwkSet(jwksUrl(), nowMs);
  let standIn: HasuraJwkSet;
  const firstPublished = new Map<string, number>();
  const firstSigned = new Map<string, number>();
  /** The last token each kid signed. */
  const lastToken = new Map<string, string>();
  let firstKid: string;

  /** One step of everyone's life: Hasura's refresh rule, a JWK set fetch, a refresh on each instance. */
  async function step(): Promise<string> {
    clock.advance(STEP);
    await standIn.refreshIfDue();
    for (const kid of await publishedKids()) if (!firstPublished.has(kid)) firstPublished.set(kid, nowMs());
    const token = await refresh(user);
    const kid = kidOf(token);
    if (!firstSigned.has(kid)) firstSigned.set(kid, nowMs());
    lastToken.set(kid, token);
    // Hasura, holding only what it fetched at most max-age ago, accepts every token it is given.
    expect(hasuraVerify(token, { jwk_url: jwksUrl(), keys: standIn }, nowSeconds()).defaultRole).toBe('user');
    // Every instance signs with the same key.
    expect((await otherRing.signingKey()).kid).toBe(kid);
    if (other) expect(kidOf(await refresh(user, other))).toBe(kid);
    return kid;
  }

  beforeAll(async () => {
    user = await t.users.register();
    firstKid = kidOf(user.tokens.access);
    standIn = hasura();
    await standIn.refreshIfDue();
  });

  it('publishes the next key 2 × max-age before it signs, and keeps signing with one key until then', async () => {
    expect(await publishedKids()).toEqual([firstKid]);
    let kid = firstKid;
    while (kid === firstKid) {
      kid = await step();
      if (nowMs() > Date.parse('2026-06-01T00:00:00Z') + 2 * ROTATION * 1000) throw new Error('no rotation happened');
    }
    const secondKid = kid;
    expect(firstPublished.get(secondKid)! + 2 * MAX_AGE * 1000).toBeLessThanOrEqual(firstSigned.get(secondKid)!);
    // Not earlier than the rotation period says, either.
    expect(firstSigned.get(secondKid)! - firstSigned.get(firstKid)!).toBeGreaterThanOrEqual(ROTATION * 1000 - STEP * 1000);
    // Hasura re-fetched on max-age only: about one fetch per max-age, never one per request.
    expect(standIn.fetches).toBeLessThanOrEqual(Math.ceil((nowMs() - Date.parse('2026-06-01T00:00:00Z')) / (MAX_AGE * 1000)) + 1);
  });

  it('keeps verifying the retired key’s last token until it expires; the key leaves the JWK set only then', async () => {
    const old = lastToken.get(firstKid)!;
    const exp = expOf(old) * 1000;
    expect(exp).toBeGreaterThan(nowMs());
    while (nowMs() + STEP * 1000 < exp) {
      await step();
      expect(await publishedKids()).toContain(firstKid);
      await expect(joseVerify(old)).resolves.toBeDefined();
      expect(hasuraVerify(old, { jwk_url: jwksUrl(), keys: standIn }, nowSeconds()).variables['x-hasura-user-id']).toBe(String(user.id));
    }
    // A token the service verified once is remembered until its exp; a caller with it is served.
    expect(codeOf(await t.service.request(SampleDocument, { food: 'x' }, bearer(old)))).toBeUndefined();
    // Past its expiry (and one re-read of the ring later) the retired key is gone.
    for (let i = 0; i < Math.ceil(MAX_AGE / STEP) + 1; i += 1) await step();
    expect(nowMs()).toBeGreaterThan(exp);
    expect(await publishedKids()).not.toContain(firstKid);
    expect(await t.service.services.db.prisma.signingKey.count({ where: { kid: firstKid } })).toBe(0);
    await expect(joseVerify(old)).rejects.toThrow();
    if (other) expect(await publishedKids(other)).toEqual(await publishedKids());
  });

  it('takes keys:rotate while running: every instance publishes the new key at least 2 × max-age before it signs', async () => {
    const before = kidOf(await refresh(user));
    // keys:rotate runs in its own process with its own connection; on the embedded database
    // (one process only) the same ring code runs through the service's connection instead.
    const rotation = database.db.embedded ? await otherRing.rotate() : await rotateSigningKeys(t.service.config, clock);
    expect(rotation.added).toBe(true);
    expect(rotation.activatesAt.getTime() - nowMs()).toBe(3 * MAX_AGE * 1000);
    // A second call while that key waits adds nothing.
    const again = database.db.embedded ? await otherRing.rotate() : await rotateSigningKeys(t.service.config, clock);
    expect(again).toEqual({ kid: rotation.kid, activatesAt: rotation.activatesAt, added: false });

    let kid = before;
    while (kid === before) kid = await step();
    expect(kid).toBe(rotation.kid);
    expect(firstPublished.get(rotation.kid)! + 2 * MAX_AGE * 1000).toBeLessThanOrEqual(firstSigned.get(rotation.kid)!);
  });

  it('stores no private key in a usable form: no PEM, no JWK private member, no raw key bytes', async () => {
    const values = await allStoredValues(t.service.services.db.pool);
    const active = await t.service.services.keyRing!.signingKey();
    const jwk = active.privateKey.export({ format: 'jwk' });
    const der = active.privateKey.export({ format: 'der', type: 'pkcs8' });
    const needles = [jwk.d!, der.toString('hex'), der.toString('base64'), der.toString('base64url')];
    for (const { table, column, value } of values) {
      expect({ table, column, pem: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) }).toEqual({ table, column, pem: false });
      expect({ table, column, jwk: /"(d|p|q|dp|dq|qi|k)"\s*:/.test(value) }).toEqual({ table, column, jwk: false });
      for (const needle of needles) expect({ table, column, holdsKey: value.includes(needle) }).toEqual({ table, column, holdsKey: false });
    }
    expect(values.filter((v) => v.table === 'signing_keys' && v.column === 'private_key').length).toBeGreaterThan(0);
  });
});
