// POST /events/user_registered: the welcome email, sent once, to the address in the database.
import { hasuraEvent, rowAsJson, USER_REGISTERED_COLUMNS } from '../support/hasura-events';
import { setupTestService } from '../support/setup';
import { firstAddress } from '../support/smtp';

const APP_NAME = 'Acme <Tools> & "Co"';

const t = setupTestService({ mailbox: true, env: { EMAIL_FROM: 'Acme Accounts <accounts@acme.test>', APP_NAME } });

const register = async (username: string, email: string) => (await t.users.register({ username, email })).id;
const deliver = (payload: unknown) => t.events.deliver('user_registered', payload);
const eventFor = (id: number, options?: { op: 'MANUAL' }) => t.events.forRow('user_registered', id, options);
const pool = () => t.service.services.db.pool;
const prisma = () => t.service.services.db.prisma;
const registrationSent = async (id: number) => (await prisma().user.findUniqueOrThrow({ where: { id } })).registrationSent;

describe('the welcome email', () => {
  it('goes to the new user from EMAIL_FROM with subject, text and HTML; the flag is set; a redelivery sends nothing', async () => {
    const id = await register('welcome.me', 'Welcome.Me@Example.com');
    expect(await registrationSent(id)).toBe(false);
    const event = await eventFor(id);

    const first = await deliver(event);
    expect(first).toMatchObject({ status: 200, body: { status: 'sent' } });

    const [mail] = await t.mailbox.waitFor(1);
    // The local part as the user typed it (it may be case-sensitive); domains are case-insensitive.
    expect(t.mailbox.received[0]!.envelope).toEqual({ from: 'accounts@acme.test', to: ['Welcome.Me@example.com'] });
    expect(firstAddress(mail!.to)).toBe('Welcome.Me@example.com');
    expect(mail!.from?.value[0]).toEqual({ name: 'Acme Accounts', address: 'accounts@acme.test' });
    expect(mail!.subject).toBe(`Welcome to ${APP_NAME}`);
    expect(mail!.text).toContain('Hello welcome.me,');
    expect(mail!.text).toContain(`welcome to ${APP_NAME}!`);
    expect(mail!.text).toContain('Welcome.Me@Example.com');
    // Every value is escaped in HTML; the raw app name never appears there.
    const html = String(mail!.html);
    expect(html).toContain('Hello welcome.me,');
    expect(html).toContain('Acme &lt;Tools&gt; &amp; &quot;Co&quot;');
    expect(html).not.toContain(APP_NAME);
    expect(mail!.messageId).toMatch(new RegExp(`^<welcome\\.${id}\\.\\d+@acme\\.test>$`));
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');

    expect(await registrationSent(id)).toBe(true);
    const claim = await prisma().emailClaim.findUniqueOrThrow({ where: { key: `welcome:${id}` } });
    expect(claim.sentAt).toBeInstanceOf(Date);

    // Hasura redelivers the same event, and the console redelivers it as MANUAL: nothing more goes out.
    expect(await deliver(event)).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    const manual = await eventFor(id, { op: 'MANUAL' });
    expect(await deliver(manual)).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.mailbox.received).toHaveLength(1);
  });

  it('uses the address in the database, not the one in the payload', async () => {
    const id = await register('moved', 'old@example.com');
    const event = await eventFor(id);
    await prisma().user.update({ where: { id }, data: { email: 'new@example.com' } });
    const before = t.mailbox.received.length;

    expect(await deliver(event)).toMatchObject({ status: 200, body: { status: 'sent' } });
    await t.mailbox.waitFor(before + 1);
    expect(t.mailbox.received[before]!.envelope.to).toEqual(['new@example.com']);
  });

  it('is sent on a MANUAL (console) delivery when it never went out', async () => {
    const id = await register('manual', 'manual@example.com');
    const before = t.mailbox.received.length;
    const event = await eventFor(id, { op: 'MANUAL' });
    expect(await deliver(event)).toMatchObject({ status: 200, body: { status: 'sent' } });
    await t.mailbox.waitFor(before + 1);
    expect(await registrationSent(id)).toBe(true);
  });

  it('is skipped for an inactive user and for a user that no longer exists', async () => {
    const inactive = await register('sleeper', 'sleeper@example.com');
    await t.users.deactivate(inactive);
    const gone = await register('ghost', 'ghost@example.com');
    const goneEvent = await eventFor(gone);
    await prisma().user.delete({ where: { id: gone } });
    const before = t.mailbox.received.length;

    const a = await deliver(await eventFor(inactive));
    const b = await deliver(goneEvent);
    expect(a).toMatchObject({ status: 200, body: { status: 'skipped' } });
    expect(b).toMatchObject({ status: 200, body: { status: 'skipped' } });
    expect(await registrationSent(inactive)).toBe(false);
    // Skipping leaves no claim behind: the email can still go out if the user is reactivated.
    expect(await prisma().emailClaim.count({ where: { key: { in: [`welcome:${inactive}`, `welcome:${gone}`] } } })).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.mailbox.received).toHaveLength(before);
  });

  it('answers already_sent, sending nothing, for a user flagged as welcomed by other means', async () => {
    const id = await register('imported', 'imported@example.com');
    await prisma().user.update({ where: { id }, data: { registrationSent: true } });
    const before = t.mailbox.received.length;
    const res = await deliver(await eventFor(id));
    expect(res).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.mailbox.received).toHaveLength(before);
  });

  it('warns when the trigger sends the password hash, and still delivers', async () => {
    const id = await register('leaky', 'leaky@example.com');
    const row = await rowAsJson(pool(), 'users', [...USER_REGISTERED_COLUMNS, 'password_hash'], id);
    const before = t.mailbox.received.length;
    const res = await deliver(hasuraEvent('user_registered', row));
    expect(res).toMatchObject({ status: 200, body: { status: 'sent' } });
    await t.mailbox.waitFor(before + 1);
    const warning = t.service.logs.map((l) => JSON.parse(l) as { msg: string; columns?: string[] }).find((l) => l.msg.includes('restrict its insert columns'));
    expect(warning?.columns).toEqual(['password_hash']);
    expect(t.service.logs.join('\n')).not.toContain(String(row.password_hash));
  });
});
