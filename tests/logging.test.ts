// Secrets never reach the log: a full flow at the most verbose level leaves no password, token
// or key in any line.
import http from 'node:http';
import { LoginDocument, LogoutDocument, RefreshDocument, RegisterDocument, SampleDocument } from './generated/graphql';
import { bearer } from './support/fixtures';
import { LOGIN } from './support/operations';
import { TEST_JWT_KEY, TEST_WEBHOOK_SECRET } from './support/service';
import { setupTestService } from './support/setup';

const t = setupTestService({ env: { LOG_LEVEL: 'trace', REFRESH_TOKEN_ROTATION: 'true' } });

it('a full flow logs no password, token or key', async () => {
  const password = 'Secret-Passw0rd-For-Logs';
  const secrets: string[] = [password, TEST_JWT_KEY, TEST_WEBHOOK_SECRET];

  const registered = await t.service.request(RegisterDocument, { arg: { username: 'logger', email: 'logger@example.com', password } });
  secrets.push(...Object.values(registered.data!.user_register.tokens!));
  const login = await t.service.request(LoginDocument, { arg: { username: 'logger', password } });
  secrets.push(...Object.values(login.data!.user_login));
  await t.service.request(LoginDocument, { arg: { username: 'logger', password: `${password}-wrong` } });
  secrets.push(`${password}-wrong`);
  const refreshed = await t.service.request(RefreshDocument, { arg: { refresh: login.data!.user_login.refresh } });
  // With rotation on, a refresh hands out a new refresh token too.
  const rotated = refreshed.data!.user_refresh.refresh!;
  secrets.push(refreshed.data!.user_refresh.access, rotated);
  await t.service.request(SampleDocument, { food: 'hotdog' }, bearer(login.data!.user_login.access));
  await t.service.request(SampleDocument, { food: 'hotdog' }, bearer('forged.token.value'));
  await t.service.request(LogoutDocument, { arg: { refresh: rotated } });
  // A malformed body and an unexpected failure path are logged too.
  await fetch(`${t.service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"query": "${password}` });

  const log = t.service.logs.join('\n');
  expect(t.service.logs.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(log).not.toContain(secret);
    // Nor any recognisable piece of a token (its signature or payload).
    for (const part of secret.split('.').filter((p) => p.length > 20)) expect(log).not.toContain(part);
  }
});

it('logs one line per request with its request id, operation, status and latency', async () => {
  const before = t.service.logs.length;
  const response = await fetch(`${t.service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc-123' },
    body: JSON.stringify({ query: 'mutation { action_sample(food: "hotdog") { hotdog } }' }),
  });
  expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
  const lines = t.service.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
  const line = lines.find((l) => l.requestId === 'trace-abc-123');
  expect(line).toMatchObject({ msg: 'request completed', operation: 'action_sample', res: { status: 200 }, req: { method: 'POST', path: '/graphql' } });
  expect(typeof line!.latencyMs).toBe('number');

  // A request without an id gets a generated one, echoed back.
  const other = await fetch(`${t.service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
  expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

it('a request line is one JSON object in the logger\'s shape, whatever the path holds', async () => {
  const before = t.service.logs.length;
  // Raw quotes and a backslash (node:http sends them as they are; fetch would percent-encode them):
  // the line must still parse, with the path intact.
  const path = '/nowhere/"q"/\\x';
  await new Promise<void>((resolve, reject) => {
    http
      .get({ host: new URL(t.service.url).hostname, port: new URL(t.service.url).port, path, headers: { 'x-request-id': 'odd-path-line' } }, (res) =>
        res.resume().on('end', resolve),
      )
      .on('error', reject);
  });
  const lines = t.service.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
  const line = lines.find((l) => l.requestId === 'odd-path-line');
  expect(line).toMatchObject({ level: 'info', service: 'hasura-auth', msg: 'request completed', res: { status: 404 }, req: { method: 'GET', path } });
  expect(Number.isNaN(Date.parse(line!.time as string))).toBe(false);
});

it("a login's line names the request, the operation and its latency, and carries no credential", async () => {
  const password = 'Another-Secret-For-Logs';
  await t.service.request(RegisterDocument, { arg: { username: 'logged-in', email: 'logged-in@example.com', password } });
  const before = t.service.logs.length;
  const response = await fetch(`${t.service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'login-trace-42' },
    body: JSON.stringify({ query: LOGIN, variables: { arg: { username: 'logged-in', password } } }),
  });
  const { data } = (await response.json()) as { data: { user_login: { access: string; refresh: string } } };
  const lines = t.service.logs.slice(before).filter((l) => l.includes('login-trace-42'));
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(line).toMatchObject({ level: 'info', requestId: 'login-trace-42', operation: 'user_login', res: { status: 200 } });
  expect(line.latencyMs).toEqual(expect.any(Number));
  for (const secret of [password, data.user_login.access, data.user_login.refresh]) expect(lines[0]).not.toContain(secret);
  expect(lines[0]).not.toMatch(/password|authorization|variables/i);
  expect(line.errors).toBeUndefined();

  // A refused login says why in its line (the HTTP status of a GraphQL error is 200).
  await fetch(`${t.service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'login-trace-43' },
    body: JSON.stringify({ query: LOGIN, variables: { arg: { username: 'logged-in', password: `${password}!` } } }),
  });
  const refused = t.service.logs.find((l) => l.includes('login-trace-43'))!;
  expect(JSON.parse(refused)).toMatchObject({ operation: 'user_login', errors: ['UNAUTHENTICATED'], res: { status: 200 } });
  expect(refused).not.toContain(password);
});
