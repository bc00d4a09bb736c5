// What the rate_limits table holds: keyed hashes that cannot be reversed without AUTH_SECRET, no
// new counters for a limit the sweep found at RATE_LIMIT_MAX_KEYS however many random names a
// client sends, expired counters deleted — and, with TRUST_PROXY, clients counted by IPv4 address
// or IPv6 /64.
import { createHash, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { LOGIN, REGISTER, RESET } from '../support/operations';
import { startTestService, type GraphQLResponse, type TestService } from '../support/service';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const keysOf = async (service: TestService, limit: string) =>
  (await service.services.db.pool.query<{ key: string }>(`SELECT key FROM rate_limits WHERE key LIKE $1 ORDER BY key`, [`${limit}:%`])).rows.map((r) => r.key);
const hits = async (service: TestService) =>
  Number(/^auth_rate_limit_hits_total\{limit="reset_request"\} (\d+)$/m.exec(await service.metricsText())?.[1]);
const clearCounters = (service: TestService) => service.services.db.pool.query('DELETE FROM rate_limits');

describe('a flood of random emails', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService(db, { env: { RATE_LIMIT_MAX_KEYS: '16' } });
    await clearCounters(service);
  });
  afterAll(() => service.stop());

  const flood = async (batches: number) => {
    const answers: GraphQLResponse[] = [];
    for (let batch = 0; batch < batches; batch++) {
      answers.push(
        ...(await Promise.all(Array.from({ length: 12 }, () => service.gql(RESET, { arg: { email: `random-${randomUUID()}@example.com` } })))),
      );
    }
    // Every request is answered alike, limited or not.
    expect(answers.map((a) => a.data)).toEqual(answers.map(() => ({ user_password_reset: { status: 'OK' } })));
  };

  it('stops adding counters once the sweep finds a limit at RATE_LIMIT_MAX_KEYS, answering every request alike', async () => {
    await flood(3);
    const before = (await keysOf(service, 'reset_request')).length;
    expect(before).toBe(36);
    await service.services.limits.sweep();
    expect(service.services.limits.saturated('reset_request')).toBe(true);
    const hitsBefore = await hits(service);
    await flood(5);
    expect(await keysOf(service, 'reset_request')).toHaveLength(before);
    expect(await hits(service)).toBe(hitsBefore + 60);
  });

  it('deletes counters whose window has ended, which lifts the saturation', async () => {
    // Nothing expired yet: the sweep keeps live counters.
    expect(await service.services.limits.sweep()).toBe(0);
    // An hour and a second later every reset_request window (1 h) has ended.
    expect(await service.services.limits.sweep(Date.now() + 3601 * 1000)).toBeGreaterThanOrEqual(36);
    expect(await keysOf(service, 'reset_request')).toEqual([]);
    expect(service.services.limits.saturated('reset_request')).toBe(false);
  });
});

describe('a flood of random login names', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService(db, { env: { RATE_LIMIT_MAX_KEYS: '10', RATE_LIMIT_LOGIN: '3/15m' } });
    await clearCounters(service);
  });
  afterAll(() => service.stop());
  const login = (username: string, password: string) => service.gql(LOGIN, { arg: { username, password } });
  const loginHits = async () => Number(/^auth_rate_limit_hits_total\{limit="login"\} (\d+)$/m.exec(await service.metricsText())?.[1] ?? 0);

  it('once the limit is saturated, refuses names it has not counted, while a counted name is still counted and signs in', async () => {
    const password = 'a long enough password';
    const registered = await service.gql(REGISTER, { arg: { username: 'floodvictim', email: 'floodvictim@example.com', password } });
    expect(registered.errors).toBeUndefined();
    expect(codeOf(await login('floodvictim', 'a wrong guess'))).toBe('UNAUTHENTICATED');
    for (let i = 0; i < 10; i++) expect(codeOf(await login(`random-${randomUUID()}`, 'a guess'))).toBe('UNAUTHENTICATED');
    await service.services.limits.sweep();
    expect(service.services.limits.saturated('login')).toBe(true);
    const keys = await keysOf(service, 'login');
    const hitsBefore = await loginHits();

    // A new name: refused before any password is checked, and not stored.
    expect(codeOf(await login(`random-${randomUUID()}`, 'a guess'))).toBe('TOO_MANY_REQUESTS');
    expect(await keysOf(service, 'login')).toEqual(keys);
    expect(await loginHits()).toBe(hitsBefore + 1);
    // The counted name goes on as before: its second wrong guess is counted, its right password
    // signs in and forgets its counter.
    expect(codeOf(await login('floodvictim', 'a wrong guess'))).toBe('UNAUTHENTICATED');
    const signedIn = await login('FloodVictim', password);
    expect(signedIn.errors).toBeUndefined();
    expect(await keysOf(service, 'login')).toHaveLength(keys.length - 1);
  });
});

describe('stored keys', () => {
  it('are keyed hashes: another AUTH_SECRET gives other keys, and no unsalted hash of the address matches', async () => {
    const client = '198.51.100.23';
    const keysWith = async (secret: string) => {
      const service = await startTestService(db, { env: { AUTH_SECRET: secret, TRUST_PROXY: '1' } });
      try {
        await clearCounters(service);
        await service.gql(LOGIN, { arg: { username: 'someone', password: 'a guess' } }, { 'x-forwarded-for': client });
        return await keysOf(service, 'login_per_client');
      } finally {
        await service.stop();
      }
    };
    const first = await keysWith('first-server-secret-0123456789-abcdefghij');
    const second = await keysWith('second-server-secret-0123456789-abcdefghij');
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(first).not.toEqual(second);
    // Hashing every candidate address (what reversed the unsalted keys) finds nothing.
    const stored = first[0]!.slice('login_per_client:'.length);
    for (const candidate of [client, `client:${client}`]) {
      const digest = createHash('sha256').update(candidate).digest();
      for (const encoding of ['hex', 'base64url', 'base64'] as const) expect(digest.toString(encoding).slice(0, 32)).not.toBe(stored.slice(0, 32));
    }
  });
});

describe('per-client limits behind a trusted proxy', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService(db, { env: { TRUST_PROXY: '1', RATE_LIMIT_LOGIN_PER_CLIENT: '3/15m', RATE_LIMIT_LOGIN: 'off' } });
  });
  afterAll(() => service.stop());
  const loginFrom = (address: string, n: number) =>
    service.gql(LOGIN, { arg: { username: `stuffed${n}`, password: 'a guess' } }, { 'x-forwarded-for': address });

  it('count an IPv6 client by its /64: rotating addresses inside it does not escape the limit', async () => {
    const answers = [];
    for (const [i, address] of ['2001:db8:aa:1::1', '2001:db8:aa:1::2', '2001:db8:aa:1:ffff:1:2:3', '2001:db8:aa:1:8000::9'].entries()) {
      answers.push(codeOf(await loginFrom(address, i)));
    }
    expect(answers).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS']);
    // The neighbouring /64 is another subscriber.
    expect(codeOf(await loginFrom('2001:db8:aa:2::1', 5))).toBe('UNAUTHENTICATED');
  });

  it('count an IPv4 client as one whether written plainly or IPv4-mapped', async () => {
    const answers = [];
    for (const [i, address] of ['192.0.2.77', '::ffff:192.0.2.77', '::FFFF:c000:024d', '192.0.2.77'].entries()) {
      answers.push(codeOf(await loginFrom(address, i)));
    }
    expect(answers).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS']);
  });
});
