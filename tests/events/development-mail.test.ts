// Without SMTP_URL (npm start with no setup) the emails are written to the log, reset link
// included, so a developer can follow the whole flow without a mail server: the link opens the
// service's own reset page.
import { TEST_WEBHOOK_SECRET } from '../support/service';
import { setupTestService } from '../support/setup';

const t = setupTestService({ env: { LOG_LEVEL: 'info' } });

interface EmailLine {
  level: string;
  msg: string;
  email?: { to: string; subject: string; text: string };
}

it('logs the reset email readably at info, with a working link, and records it as sent', async () => {
  const { service } = t;
  expect(service.services.mailer.kind).toBe('log');
  // Start-up says so, since reset links in a log are usable tokens.
  expect(service.logs.some((l) => l.includes('SMTP_URL is unset'))).toBe(true);
  const { id: userId } = await t.users.register({ username: 'developer', email: 'dev@example.com', password: 'a fine password 42' });
  const requestId = await t.resetRequests.create(userId);

  const answer = await t.events.deliver('password_reset_requested', await t.events.forRow('password_reset_requested', requestId));
  expect(answer).toMatchObject({ status: 200, body: { status: 'sent' } });

  const line = service.logs.map((l) => JSON.parse(l) as EmailLine).find((l) => l.email?.subject.includes('Reset'));
  expect(line).toMatchObject({ level: 'info', email: { to: 'dev@example.com', subject: 'Reset your Hasura Auth password' } });
  // PUBLIC_URL's default names PORT, which tests set to 0 (any free port).
  const base = `${service.services.config.http.publicUrl}/reset-password`;
  expect(base).toBe('http://localhost:0/reset-password');
  const link = new RegExp(`${base.replace(/[.?]/g, '\\$&')}\\?\\S+`).exec(line!.email!.text)?.[0];
  const url = new URL(link!);
  const token = url.searchParams.get('token')!;
  expect(service.services.resetTokens.matches(token, { id: requestId, userId })).toBe(true);
  // The page is the service's own.
  const page = await fetch(`${service.url}${url.pathname}${url.search}`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Choose a new password');

  const row = await service.services.db.prisma.passwordResetRequest.findUniqueOrThrow({ where: { id: requestId } });
  expect(row.resetSent).toBe(true);
  expect(service.logs.join('\n')).not.toContain(TEST_WEBHOOK_SECRET);
});
