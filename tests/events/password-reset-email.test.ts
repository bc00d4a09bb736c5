// POST /events/password_reset_requested: the reset email with a working link, sent once, and only
// while the request can still be used. Requests are inserted directly here; the GraphQL operation
// that records them is covered end to end in password-reset-flow.test.ts.
import { firstAddress } from '../support/smtp';
import { TestClock } from '../support/service';
import { setupTestService } from '../support/setup';

const RESET_URL = 'https://app.example.com/account/reset?lang=de&token=stale';

const clock = new TestClock();
const t = setupTestService({
  mailbox: true,
  env: { PASSWORD_RESET_URL: RESET_URL, APP_NAME: 'Acme', EMAIL_FROM: 'no-reply@acme.test' },
  clock,
});

const register = async (username: string, email?: string) => (await t.users.register({ username, email })).id;
/** A reset request as user_password_reset records it: valid for PASSWORD_RESET_TTL from now. */
const requestReset = (userId: number, validSeconds = 3600) => t.resetRequests.create(userId, { validSeconds });
const event = (requestId: string) => t.events.forRow('password_reset_requested', requestId);
const deliver = (payload: unknown) => t.events.deliver('password_reset_requested', payload);
const prisma = () => t.service.services.db.prisma;

describe('the password-reset email', () => {
  it('carries a link to PASSWORD_RESET_URL with the token for the request and the email, and is sent once', async () => {
    const userId = await register('forgetful', 'Forget+Ful@example.com');
    const requestId = await requestReset(userId);
    const payload = await event(requestId);

    expect(await deliver(payload)).toMatchObject({ status: 200, body: { status: 'sent' } });
    const [mail] = await t.mailbox.waitFor(1);
    expect(firstAddress(mail!.to)).toBe('Forget+Ful@example.com');
    expect(mail!.subject).toBe('Reset your Acme password');
    expect(mail!.text).toContain('Hello forgetful,');
    expect(mail!.text).toContain('valid for 1 hour');

    const link = /https:\/\/app\.example\.com\/\S+/.exec(mail!.text ?? '')?.[0];
    expect(link).toBeDefined();
    const url = new URL(link!);
    expect(url.origin + url.pathname).toBe('https://app.example.com/account/reset');
    // The operator's own parameters stay; a stale token parameter is replaced, not duplicated.
    expect(url.searchParams.get('lang')).toBe('de');
    expect(url.searchParams.getAll('token')).toHaveLength(1);
    expect(url.searchParams.get('email')).toBe('Forget+Ful@example.com');
    expect(link).toContain('email=Forget%2BFul%40example.com');
    const token = url.searchParams.get('token')!;
    expect(t.service.services.resetTokens.matches(token, { id: requestId, userId })).toBe(true);
    // The HTML link is the same URL, HTML-escaped in the attribute.
    expect(String(mail!.html)).toContain(`href="${link!.replaceAll('&', '&amp;')}"`);

    // No usable token travels in the event payload Hasura stores, nor reaches the log with a mail server configured.
    expect(JSON.stringify(payload)).not.toContain(token);
    expect(t.service.logs.join('\n')).not.toContain(token);

    const row = await prisma().passwordResetRequest.findUniqueOrThrow({ where: { id: requestId } });
    expect(row.resetSent).toBe(true);
    expect(await deliver(payload)).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(t.mailbox.received).toHaveLength(1);
  });

  it('says how long the link still works when the email goes out late', async () => {
    const requestId = await requestReset(await register('late'), 3600);
    clock.advance(15 * 60);
    try {
      const before = t.mailbox.received.length;
      expect((await deliver(await event(requestId))).body?.status).toBe('sent');
      const mails = await t.mailbox.waitFor(before + 1);
      expect(mails[before]!.text).toContain('valid for 45 minutes');
    } finally {
      clock.advance(-15 * 60);
    }
  });

  let skipped = 0;
  it.each([
    ['an expired request', async (id: string) => {
      await prisma().passwordResetRequest.update({ where: { id }, data: { expiresAt: new Date(clock.now().getTime() - 1000) } });
    }],
    ['a used request', async (id: string) => {
      await prisma().passwordResetRequest.update({ where: { id }, data: { usedAt: clock.now() } });
    }],
    ['an inactive user', async (id: string) => {
      const { userId } = await prisma().passwordResetRequest.findUniqueOrThrow({ where: { id } });
      await prisma().user.update({ where: { id: userId }, data: { isActive: false } });
    }],
  ])('is skipped for %s', async (_, spoil) => {
    const requestId = await requestReset(await register(`skipped${++skipped}`));
    const payload = await event(requestId);
    await spoil(requestId);
    const before = t.mailbox.received.length;
    expect(await deliver(payload)).toMatchObject({ status: 200, body: { status: 'skipped' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(t.mailbox.received).toHaveLength(before);
    const row = await prisma().passwordResetRequest.findUniqueOrThrow({ where: { id: requestId } });
    expect(row.resetSent).toBe(false);
  });

  it('is skipped when the request no longer exists', async () => {
    const requestId = await requestReset(await register('vanished'));
    const payload = await event(requestId);
    await prisma().passwordResetRequest.delete({ where: { id: requestId } });
    expect(await deliver(payload)).toMatchObject({ status: 200, body: { status: 'skipped' } });
  });

  it('derives the token from the stored row, whatever user_id the payload claims', async () => {
    const victim = await register('victim');
    const attacker = await register('attacker');
    const requestId = await requestReset(victim);
    const payload = await event(requestId);
    payload.event.data.new!.user_id = attacker;
    const before = t.mailbox.received.length;
    expect((await deliver(payload)).body?.status).toBe('sent');
    const mails = await t.mailbox.waitFor(before + 1);
    // The email goes to the request's own user, with the token bound to that user.
    expect(t.mailbox.received[before]!.envelope.to).toEqual(['victim@example.com']);
    const token = new URL(/https:\/\/\S+/.exec(mails[before]!.text ?? '')![0]).searchParams.get('token')!;
    expect(t.service.services.resetTokens.matches(token, { id: requestId, userId: victim })).toBe(true);
  });
});
