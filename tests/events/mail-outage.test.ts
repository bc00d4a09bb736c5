// The mail server down or refusing: Hasura is told to retry (503 + Retry-After), nothing is
// recorded as sent, and the next delivery after the server is back sends the email.
import { registerUser } from '../support/fixtures';
import { deliver, eventForRow } from '../support/hasura-events';
import type { TestService } from '../support/service';
import { setupTestDatabase } from '../support/setup';
import { startSmtpServer, unusedPort, type TestSmtpServer } from '../support/smtp';

const database = setupTestDatabase();
let service: TestService;
let port: number;
let smtp: TestSmtpServer | undefined;

beforeAll(async () => {
  // The service is told about a mail server that is not running yet.
  port = await unusedPort();
  // Stopped after the service (stops run last-registered first).
  database.stopBeforeDrop(async () => {
    await smtp?.stop();
  });
  service = await database.startService({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
});

const register = async (username: string) => (await registerUser(service, { username })).id;

const flag = async (id: number) => (await service.services.db.prisma.user.findUniqueOrThrow({ where: { id } })).registrationSent;

it('answers 503 with Retry-After while the mail server is down, leaves the flag unset, and sends once it is back', async () => {
  const id = await register('patient');
  const event = await eventForRow(service.services.db.pool, 'user_registered', id);

  const down = await deliver(service.url, 'user_registered', event);
  expect(down.status).toBe(503);
  expect(down.retryAfter).toBe('30');
  expect(down.body).toMatchObject({ error: 'mail_unavailable' });
  expect(await flag(id)).toBe(false);
  // The claim was released: nothing stands in the way of the retry.
  expect(await service.services.db.prisma.emailClaim.count({ where: { key: `welcome:${id}` } })).toBe(0);

  // Later retries wait longer (Hasura honours Retry-After).
  const later = await deliver(service.url, 'user_registered', { ...event, delivery_info: { max_retries: 5, current_retry: 2 } });
  expect(later.status).toBe(503);
  expect(later.retryAfter).toBe('120');

  smtp = await startSmtpServer({ port });
  const back = await deliver(service.url, 'user_registered', { ...event, delivery_info: { max_retries: 5, current_retry: 3 } });
  expect(back).toMatchObject({ status: 200, body: { status: 'sent' } });
  const [mail] = await smtp.waitFor(1);
  expect(mail!.subject).toContain('Welcome');
  expect(await flag(id)).toBe(true);
  expect((await deliver(service.url, 'user_registered', event)).body?.status).toBe('already_sent');
  expect(smtp.received).toHaveLength(1);
});

it('answers 503 when the mail server refuses the recipient for now, and sends on a later delivery', async () => {
  await smtp?.stop();
  smtp = await startSmtpServer({ port, refuse: { addresses: ['busy@example.com'], code: 450 } });
  const id = await register('busy');
  const event = await eventForRow(service.services.db.pool, 'user_registered', id);

  const refused = await deliver(service.url, 'user_registered', event);
  expect(refused.status).toBe(503);
  expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  expect(await flag(id)).toBe(false);
  const warning = service.logs.map((l) => JSON.parse(l) as { msg: string; err?: { responseCode?: number } }).reverse().find((l) => l.msg.includes('asking Hasura to retry'));
  expect(warning?.err?.responseCode).toBe(450);

  await smtp.stop();
  smtp = await startSmtpServer({ port });
  expect((await deliver(service.url, 'user_registered', event)).body?.status).toBe('sent');
  await smtp.waitFor(1);
  expect(await flag(id)).toBe(true);
});
