// Secrets never reach the log: a full flow at the most verbose level leaves no password, token
// or key in any line.
import { createTestDatabase, type TestDatabase } from './support/database';
import { LOGIN, LOGOUT, REFRESH, REGISTER, SAMPLE } from './support/operations';
import { startTestService, TEST_JWT_KEY, TEST_WEBHOOK_SECRET, type TestService } from './support/service';

let db: TestDatabase;
let service: TestService;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { env: { LOG_LEVEL: 'trace', REFRESH_TOKEN_ROTATION: 'true' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

it('a full flow logs no password, token or key', async () => {
  const password = 'Secret-Passw0rd-For-Logs';
  const secrets: string[] = [password, TEST_JWT_KEY, TEST_WEBHOOK_SECRET];

  const registered = await service.gql<{ user_register: { tokens: { access: string; refresh: string } } }>(REGISTER, {
    arg: { username: 'logger', email: 'logger@example.com', password },
  });
  secrets.push(...Object.values(registered.data!.user_register.tokens));
  const login = await service.gql<{ user_login: { access: string; refresh: string } }>(LOGIN, { arg: { username: 'logger', password } });
  secrets.push(...Object.values(login.data!.user_login));
  await service.gql(LOGIN, { arg: { username: 'logger', password: `${password}-wrong` } });
  secrets.push(`${password}-wrong`);
  const refreshed = await service.gql<{ user_refresh: { access: string; refresh: string } }>(REFRESH, { arg: { refresh: login.data!.user_login.refresh } });
  secrets.push(...Object.values(refreshed.data!.user_refresh));
  await service.gql(SAMPLE, { food: 'hotdog' }, { authorization: `Bearer ${login.data!.user_login.access}` });
  await service.gql(SAMPLE, { food: 'hotdog' }, { authorization: 'Bearer forged.token.value' });
  await service.gql(LOGOUT, { arg: { refresh: refreshed.data!.user_refresh.refresh } });
  // A malformed body and an unexpected failure path are logged too.
  await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"query": "${password}` });

  const log = service.logs.join('\n');
  expect(service.logs.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(log).not.toContain(secret);
    // Nor any recognisable piece of a token (its signature or payload).
    for (const part of secret.split('.').filter((p) => p.length > 20)) expect(log).not.toContain(part);
  }
});

it('logs one line per request with its request id, operation, status and latency', async () => {
  const before = service.logs.length;
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc-123' },
    body: JSON.stringify({ query: 'mutation { action_sample(food: "hotdog") { hotdog } }' }),
  });
  expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
  const lines = service.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
  const line = lines.find((l) => l.requestId === 'trace-abc-123');
  expect(line).toMatchObject({ msg: 'request completed', operation: 'action_sample', res: { status: 200 }, req: { method: 'POST', path: '/graphql' } });
  expect(typeof line!.latencyMs).toBe('number');

  // A request without an id gets a generated one, echoed back.
  const other = await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
  expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

it("a login's line names the request, the operation and its latency, and carries no credential", async () => {
  const password = 'Another-Secret-For-Logs';
  await service.gql(REGISTER, { arg: { username: 'logged-in', email: 'logged-in@example.com', password } });
  const before = service.logs.length;
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'login-trace-42' },
    body: JSON.stringify({ query: LOGIN, variables: { arg: { username: 'logged-in', password } } }),
  });
  const { data } = (await response.json()) as { data: { user_login: { access: string; refresh: string } } };
  const lines = service.logs.slice(before).filter((l) => l.includes('login-trace-42'));
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(line).toMatchObject({ level: 'info', requestId: 'login-trace-42', operation: 'user_login', res: { status: 200 } });
  expect(line.latencyMs).toEqual(expect.any(Number));
  for (const secret of [password, data.user_login.access, data.user_login.refresh]) expect(lines[0]).not.toContain(secret);
  expect(lines[0]).not.toMatch(/password|authorization|variables/i);
  expect(line.errors).toBeUndefined();

  // A refused login says why in its line (the HTTP status of a GraphQL error is 200).
  await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'login-trace-43' },
    body: JSON.stringify({ query: LOGIN, variables: { arg: { username: 'logged-in', password: `${password}!` } } }),
  });
  const refused = service.logs.find((l) => l.includes('login-trace-43'))!;
  expect(JSON.parse(refused)).toMatchObject({ operation: 'user_login', errors: ['UNAUTHENTICATED'], res: { status: 200 } });
  expect(refused).not.toContain(password);
});
