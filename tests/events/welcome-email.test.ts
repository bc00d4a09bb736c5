// POST /events/user_registered: the welcome email, sent once, to the address in the database.
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deliver, eventForRow, hasuraEvent, rowAsJson, USER_REGISTERED_COLUMNS } from '../support/hasura-events';
import { REGISTER } from '../support/operations';
import { startTestService, type TestService } from '../support/service';
import { firstAddress, startSmtpServer, type TestSmtpServer } from '../support/smtp';

const APP_NAME = 'Acme <Tools> & "Co"';

let db: TestDatabase;
let smtp: TestSmtpServer;
let service: TestService;

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpServer();
  service = await startTestService(db, {
    env: { SMTP_URL: smtp.url, EMAIL_FROM: 'Acme Accounts <accounts@acme.test>', APP_NAME },
  });
});
afterAll(async () => {
  await service?.stop();
  await smtp?.stop();
  await db?.drop();
});

async function register(username: string, email: string): Promise<number> {
  const res = await service.gql<{ user_register: { id: number } }>(REGISTER, { arg: { username, email, password: 'a fine password 42' } });
  expect(res.errors).toBeUndefined();
  return res.data!.user_register.id;
}

const pool = () => service.services.db.pool;
const registrationSent = async (id: number) =>
  (await service.services.db.prisma.user.findUniqueOrThrow({ where: { id } })).registrationSent;

describe('the welcome email', () => {
  it('goes to the new user from EMAIL_FROM with subject, text and HTML; the flag is set; a redelivery sends nothing', async () => {
    const id = await register('welcome.me', 'Welcome.Me@Example.com');
    expect(await registrationSent(id)).toBe(false);
    const event = await eventForRow(pool(), 'user_registered', id);

    const first = await deliver(service.url, 'user_registered', event);
    expect(first).toMatchObject({ status: 200, body: { status: 'sent' } });

    const [mail] = await smtp.waitFor(1);
    // The local part as the user typed it (it may be case-sensitive); domains are case-insensitive.
    expect(smtp.received[0]!.envelope).toEqual({ from: 'accounts@acme.test', to: ['Welcome.Me@example.com'] });
    expect(firstAddress(mail!.to)).toBe('Welcome.Me@example.com');
    expect(mail!.from?.value[0]).toEqual({ name: 'Acme Accounts', address: 'accounts@acme.test' });
    expect(mail!.subject).toBe(`Welcome to ${APP_NAME}`);
    // The username is made inert (no autolink): a zero-width space follows each dot.
    expect(mail!.text).toContain('Hello welcome.\u200Bme,');
    expect(mail!.text).toContain(`welcome to ${APP_NAME}!`);
    expect(mail!.text).toContain('Welcome.\u200BMe@\u200BExample.\u200Bcom');
    // Every value is escaped in HTML; the raw app name never appears there.
    const html = String(mail!.html);
    expect(html).toContain('Hello welcome.\u200Bme,');
    expect(html).toContain('Acme &lt;Tools&gt; &amp; &quot;Co&quot;');
    expect(html).not.toContain(APP_NAME);
    expect(mail!.messageId).toMatch(new RegExp(`^<welcome\\.${id}\\.\\d+@acme\\.test>$`));
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');

    expect(await registrationSent(id)).toBe(true);
    const claim = await service.services.db.prisma.emailClaim.findUniqueOrThrow({ where: { key: `welcome:${id}` } });
    expect(claim.sentAt).toBeInstanceOf(Date);

    // Hasura redelivers the same event, and the console redelivers it as MANUAL: nothing more goes out.
    expect(await deliver(service.url, 'user_registered', event)).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    const manual = await eventForRow(pool(), 'user_registered', id, { op: 'MANUAL' });
    expect(await deliver(service.url, 'user_registered', manual)).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.received).toHaveLength(1);
  });

  it('uses the address in the database, not the one in the payload', async () => {
    const id = await register('moved', 'old@example.com');
    const event = await eventForRow(pool(), 'user_registered', id);
    await service.services.db.prisma.user.update({ where: { id }, data: { email: 'new@example.com' } });
    const before = smtp.received.length;

    expect(await deliver(service.url, 'user_registered', event)).toMatchObject({ status: 200, body: { status: 'sent' } });
    await smtp.waitFor(before + 1);
    expect(smtp.received[before]!.envelope.to).toEqual(['new@example.com']);
  });

  it('is sent on a MANUAL (console) delivery when it never went out', async () => {
    const id = await register('manual', 'manual@example.com');
    const before = smtp.received.length;
    const event = await eventForRow(pool(), 'user_registered', id, { op: 'MANUAL' });
    expect(await deliver(service.url, 'user_registered', event)).toMatchObject({ status: 200, body: { status: 'sent' } });
    await smtp.waitFor(before + 1);
    expect(await registrationSent(id)).toBe(true);
  });

  it('is skipped for an inactive user and for a user that no longer exists', async () => {
    const inactive = await register('sleeper', 'sleeper@example.com');
    await service.services.db.prisma.user.update({ where: { id: inactive }, data: { isActive: false } });
    const gone = await register('ghost', 'ghost@example.com');
    const goneEvent = await eventForRow(pool(), 'user_registered', gone);
    await service.services.db.prisma.user.delete({ where: { id: gone } });
    const before = smtp.received.length;

    const a = await deliver(service.url, 'user_registered', await eventForRow(pool(), 'user_registered', inactive));
    const b = await deliver(service.url, 'user_registered', goneEvent);
    expect(a).toMatchObject({ status: 200, body: { status: 'skipped' } });
    expect(b).toMatchObject({ status: 200, body: { status: 'skipped' } });
    expect(await registrationSent(inactive)).toBe(false);
    // Skipping leaves no claim behind: the email can still go out if the user is reactivated.
    expect(await service.services.db.prisma.emailClaim.count({ where: { key: { in: [`welcome:${inactive}`, `welcome:${gone}`] } } })).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.received).toHaveLength(before);
  });

  it('answers already_sent, sending nothing, for a user flagged as welcomed by other means', async () => {
    const id = await register('imported', 'imported@example.com');
    await service.services.db.prisma.user.update({ where: { id }, data: { registrationSent: true } });
    const before = smtp.received.length;
    const res = await deliver(service.url, 'user_registered', await eventForRow(pool(), 'user_registered', id));
    expect(res).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.received).toHaveLength(before);
  });

  it('warns when the trigger sends the password hash, and still delivers', async () => {
    const id = await register('leaky', 'leaky@example.com');
    const row = await rowAsJson(pool(), 'users', [...USER_REGISTERED_COLUMNS, 'password_hash'], id);
    const before = smtp.received.length;
    const res = await deliver(service.url, 'user_registered', hasuraEvent('user_registered', row));
    expect(res).toMatchObject({ status: 200, body: { status: 'sent' } });
    await smtp.waitFor(before + 1);
    const warning = service.logs.map((l) => JSON.parse(l) as { msg: string; columns?: string[] }).find((l) => l.msg.includes('restrict its insert columns'));
    expect(warning?.columns).toEqual(['password_hash']);
    expect(service.logs.join('\n')).not.toContain(String(row.password_hash));
  });
});
