// In production, GET /metrics exists only with METRICS_TOKEN: its counters (emails sent, logins
// failed) would otherwise tell anyone, for example, whether a reset request reached an account.
import { createTestDatabase, type TestDatabase } from '../support/database';
import { RESET } from '../support/operations';
import { startTestService, type TestService } from '../support/service';

const PRODUCTION = { NODE_ENV: 'production', BCRYPT_ROUNDS: '10', SHUTDOWN_DELAY: '0' };
const TOKEN = 'metrics-token-0123456789-abcdef';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function withService(env: Record<string, string>, work: (service: TestService) => Promise<void>): Promise<void> {
  const service = await startTestService(db, { env });
  try {
    await work(service);
  } finally {
    await service.stop();
  }
}

it('without METRICS_TOKEN there is no /metrics in production, and the log says how to turn it on', async () => {
  await withService(PRODUCTION, async (service) => {
    await service.gql(RESET, { arg: { email: 'someone@example.com' } });
    const res = await fetch(`${service.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('auth_');
    expect(service.logs.some((line) => line.includes('GET /metrics is off: set METRICS_TOKEN'))).toBe(true);
  });
});

it('with METRICS_TOKEN it answers only the bearer of the token', async () => {
  await withService({ ...PRODUCTION, METRICS_TOKEN: TOKEN }, async (service) => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${service.url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    expect(await service.metricsText({ authorization: `Bearer ${TOKEN}` })).toContain('auth_emails_sent_total');
  });
});
