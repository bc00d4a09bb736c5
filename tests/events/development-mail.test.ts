// Without SMTP_URL (npm start with no setup) the emails are written to the log, reset link
// included, so a developer can follow the whole flow without a mail server.
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deliver, eventForRow } from '../support/hasura-events';
import { REGISTER } from '../support/operations';
import { startTestService, TEST_WEBHOOK_SECRET, type TestService } from '../support/service';

let db: TestDatabase;
let service: TestService;

beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { env: { LOG_LEVEL: 'info' } });
});
afterAll(async () => {
  await service?.stop();
  await db?.drop();
});

interface EmailLine {
  level: string;
  msg: string;
  email?: { to: string; subject: string; text: string };
}

it('logs the reset email readably at info, with a working link, and records it as sent', async () => {
  expect(service.services.mailer.kind).toBe('log');
  // Start-up says so, since reset links in a log are usable tokens.
  expect(service.logs.some((l) => l.includes('SMTP_URL is unset'))).toBe(true);
  const res = await service.gql<{ user_register: { id: number } }>(REGISTER, {
    arg: { username: 'developer', email: 'dev@example.com', password: 'a fine password 42' },
  });
  const userId = res.data!.user_register.id;
  const request = await service.services.db.prisma.passwordResetRequest.create({ data: { userId, expiresAt: new Date(Date.now() + 3600_000) } });

  const answer = await deliver(service.url, 'password_reset_requested', await eventForRow(service.services.db.pool, 'password_reset_requested', request.id));
  expect(answer).toMatchObject({ status: 200, body: { status: 'sent' } });

  const line = service.logs.map((l) => JSON.parse(l) as EmailLine).find((l) => l.email?.subject.includes('Reset'));
  expect(line).toMatchObject({ level: 'info', email: { to: 'dev@example.com', subject: 'Reset your Hasura Auth password' } });
  const link = /http:\/\/localhost:3000\/reset-password\?\S+/.exec(line!.email!.text)?.[0];
  const token = new URL(link!).searchParams.get('token')!;
  expect(service.services.resetTokens.matches(token, { id: request.id, userId })).toBe(true);

  const row = await service.services.db.prisma.passwordResetRequest.findUniqueOrThrow({ where: { id: request.id } });
  expect(row.resetSent).toBe(true);
  expect(service.logs.join('\n')).not.toContain(TEST_WEBHOOK_SECRET);
});
