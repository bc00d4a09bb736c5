// GET /metrics: Prometheus text with the series an operator needs, counting the requests it sees.
import { createTestDatabase, type TestDatabase } from '../support/database';
import { LOGIN, REGISTER } from '../support/operations';
import { startTestService, type TestService } from '../support/service';

let db: TestDatabase;
let service: TestService;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db);
  await service.gql(REGISTER, { arg: { username: 'measured', email: 'measured@example.com', password: 'a long enough password' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

/** The value of one sample line, e.g. `auth_http_requests_total{operation="user_login",status="200"}`; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

it('answers in the Prometheus text format', async () => {
  const response = await fetch(`${service.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(response.headers.get('cache-control')).toBe('no-store');
});

it('exposes requests and latency by operation, login failures, rate-limit hits, emails and the database pool', async () => {
  await service.gql(LOGIN, { arg: { username: 'measured', password: 'a long enough password' } });
  const text = await service.metricsText();
  for (const series of [
    '# TYPE auth_http_requests_total counter',
    '# TYPE auth_http_request_duration_seconds histogram',
    '# TYPE auth_http_requests_in_flight gauge',
    '# TYPE auth_login_failures_total counter',
    '# TYPE auth_rate_limit_hits_total counter',
    '# TYPE auth_emails_sent_total counter',
    '# TYPE auth_emails_failed_total counter',
    '# TYPE auth_db_pool_connections gauge',
    '# TYPE auth_db_pool_max_connections gauge',
    // Node's own: CPU, memory, event loop.
    '# TYPE process_cpu_user_seconds_total counter',
    '# TYPE nodejs_eventloop_lag_seconds gauge',
  ]) {
    expect(text).toContain(series);
  }
  expect(text).toMatch(/^auth_http_request_duration_seconds_bucket\{le="0\.1",operation="user_login"\} \d+$/m);
  for (const limit of ['login', 'login_per_client', 'register_per_client', 'reset_request', 'reset_request_per_client', 'reset_attempt']) {
    expect(text).toContain(`auth_rate_limit_hits_total{limit="${limit}"} `);
  }
  for (const kind of ['welcome', 'password-reset']) {
    expect(text).toContain(`auth_emails_sent_total{kind="${kind}"} 0`);
    expect(text).toContain(`auth_emails_failed_total{kind="${kind}"} 0`);
  }
  expect(sample(text, 'auth_db_pool_max_connections')).toBe(db.poolMax);
  const open = sample(text, 'auth_db_pool_connections{state="idle"}') + sample(text, 'auth_db_pool_connections{state="in_use"}');
  expect(open).toBeGreaterThan(0);
  expect(open).toBeLessThanOrEqual(db.poolMax);
  expect(sample(text, 'auth_db_pool_connections{state="waiting"}')).toBe(0);
});

it("counts this test's requests by operation and status, and their latencies", async () => {
  const before = await service.metricsText();
  const ok = 'auth_http_requests_total{operation="user_login",status="200"}';
  const timed = 'auth_http_request_duration_seconds_count{operation="user_login"}';
  const failures = 'auth_login_failures_total';

  await service.gql(LOGIN, { arg: { username: 'measured', password: 'a long enough password' } });
  await service.gql(LOGIN, { arg: { username: 'measured', password: 'a long enough password' } });
  await service.gql(LOGIN, { arg: { username: 'measured', password: 'not the password' } });
  // Two root fields in one document, and a body that is not JSON.
  await service.gql('mutation { a: __typename b: action_sample(food: "x") { hotdog } }');
  await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  // Probes are not traffic.
  await fetch(`${service.url}/healthz`);

  const after = await service.metricsText();
  expect(sample(after, ok) - sample(before, ok)).toBe(3);
  expect(sample(after, timed) - sample(before, timed)).toBe(3);
  expect(sample(after, failures) - sample(before, failures)).toBe(1);
  const multiple = 'auth_http_requests_total{operation="multiple",status="200"}';
  expect(sample(after, multiple) - sample(before, multiple)).toBe(1);
  const malformed = 'auth_http_requests_total{operation="none",status="400"}';
  expect(sample(after, malformed) - sample(before, malformed)).toBe(1);
  expect(after).not.toMatch(/operation="[^"]*healthz/);
  expect(after).not.toContain('operation="/metrics"');
  // Nothing in flight but this scrape, which is not counted.
  expect(sample(after, 'auth_http_requests_in_flight')).toBe(0);
});

it('counts emails through the module the mailer uses', async () => {
  service.services.metrics.emailSent('welcome');
  service.services.metrics.emailFailed('password-reset');
  const text = await service.metricsText();
  expect(sample(text, 'auth_emails_sent_total{kind="welcome"}')).toBe(1);
  expect(sample(text, 'auth_emails_failed_total{kind="password-reset"}')).toBe(1);
});

it('keeps each instance in a registry of its own, so two in one process do not clash', async () => {
  const other = await startTestService(db);
  try {
    await other.gql(LOGIN, { arg: { username: 'measured', password: 'wrong again' } });
    const mine = await service.metricsText();
    const theirs = await other.metricsText();
    expect(sample(theirs, 'auth_login_failures_total')).toBe(1);
    expect(sample(mine, 'auth_login_failures_total')).toBe(1);
  } finally {
    await other.stop();
  }
});

describe('with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789';
  let guarded: TestService;
  beforeAll(async () => {
    guarded = await startTestService(db, { env: { METRICS_TOKEN: token } });
  });
  afterAll(() => guarded.stop());

  it('answers only a scraper presenting the token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', token, `Basic ${token}`]) {
      const response = await fetch(`${guarded.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await response.text()).not.toContain('auth_');
    }
    expect(await guarded.metricsText({ authorization: `Bearer ${token}` })).toContain('auth_http_requests_total');
  });
});
