// At most one email per event, however often and however concurrently Hasura delivers it, and
// whichever service instance (sharing the database) receives each delivery.
import { EmailClaims } from '../../src/events/email-claims';
import { deliver } from '../support/hasura-events';
import type { TestService } from '../support/service';
import { setupTestDatabase, setupTestService } from '../support/setup';

const database = setupTestDatabase();
const t = setupTestService({ database, mailbox: true });
let other: TestService | undefined;
beforeAll(async () => {
  // The embedded database is one PostgreSQL session that only one process may open (its directory
  // is locked), so two instances exist only on a real server; there the two split the deliveries.
  if (!database.db.embedded) other = await database.startService({ env: { SMTP_URL: t.mailbox.url } });
});
const first = () => t.service;
const second = () => other ?? t.service;

const settle = () => new Promise((r) => setTimeout(r, 300));

const register = async (username: string) => (await t.users.register({ username })).id;
const resetRequest = (userId: number) => t.resetRequests.create(userId);

describe('ten concurrent deliveries of one event, split across two instances', () => {
  it.each([
    ['user_registered', async () => register('racer')],
    ['password_reset_requested', async () => resetRequest(await register('reset.racer'))],
  ] as const)('%s: exactly one email, one "sent", nine "already_sent"', async (trigger, makeRow) => {
    const id = await makeRow();
    const before = t.mailbox.received.length;
    const event = await t.events.forRow(trigger, id);

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => deliver((i % 2 ? second() : first()).url, trigger, event)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const statuses = answers.map((a) => a.body?.status).sort();
    expect(statuses).toEqual(['already_sent', ...Array(8).fill('already_sent'), 'sent'].sort());

    await settle();
    expect(t.mailbox.received.length - before).toBe(1);
    // And again, later: still one.
    expect((await deliver(second().url, trigger, event)).body?.status).toBe('already_sent');
    await settle();
    expect(t.mailbox.received.length - before).toBe(1);
  });
});

describe('twenty concurrent deliveries of one sign-in email event, split across two instances', () => {
  it('signin_email_requested: exactly one email with the link and the code', async () => {
    const user = await t.users.register({ username: 'signin.racer' });
    const { rows } = await first().services.db.pool.query<{ id: string }>(
      "INSERT INTO signin_email_requests (id, user_id, email, expires_at) VALUES (gen_random_uuid(), $1, $2, now() + interval '10 minutes') RETURNING id",
      [user.id, user.email],
    );
    const before = t.mailbox.received.length;
    const event = await t.events.forRow('signin_email_requested', rows[0]!.id);

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => deliver((i % 2 ? second() : first()).url, 'signin_email_requested', event)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.map((a) => a.body?.status).sort()).toEqual([...Array(19).fill('already_sent'), 'sent'].sort());

    await settle();
    expect(t.mailbox.received.length - before).toBe(1);
    expect((await deliver(second().url, 'signin_email_requested', event)).body?.status).toBe('already_sent');
    await settle();
    expect(t.mailbox.received.length - before).toBe(1);
  });
});

describe('claims', () => {
  it('a delivery while another instance is sending answers already_sent and sends nothing', async () => {
    const id = await register('busy');
    // What another instance's claim looks like while its send runs.
    await first().services.db.prisma.emailClaim.create({
      data: { key: `welcome:${id}`, claimedUntil: new Date(Date.now() + 60_000) },
    });
    const before = t.mailbox.received.length;
    const res = await deliver(first().url, 'user_registered', await t.events.forRow('user_registered', id));
    expect(res).toMatchObject({ status: 200, body: { status: 'already_sent' } });
    await settle();
    expect(t.mailbox.received.length).toBe(before);
  });

  it("the claim of an instance that crashed mid-send lapses, and the next delivery sends", async () => {
    const id = await register('orphan');
    // A crashed instance: its lease ran out and it never recorded a send.
    await first().services.db.prisma.emailClaim.create({
      data: { key: `welcome:${id}`, claimedAt: new Date(Date.now() - 120_000), claimedUntil: new Date(Date.now() - 90_000) },
    });
    const before = t.mailbox.received.length;
    const res = await deliver(second().url, 'user_registered', await t.events.forRow('user_registered', id));
    expect(res).toMatchObject({ status: 200, body: { status: 'sent' } });
    await t.mailbox.waitFor(before + 1);
    const user = await first().services.db.prisma.user.findUniqueOrThrow({ where: { id } });
    expect(user.registrationSent).toBe(true);
  });

  it('a claim is renewed while its holder works, lapses once the holder is gone, and is not released by a former holder', async () => {
    // A short lease against the real database.
    const a = new EmailClaims({ db: first().services.db, leaseSeconds: 2 });
    const b = new EmailClaims({ db: first().services.db, leaseSeconds: 2 });
    const claim = await a.claim('test:lease');
    expect(claim).toBeDefined();

    const renewFailures: Error[] = [];
    const attempts: boolean[] = [];
    await a.holding(
      claim!,
      async () => {
        // Well past the 2 s lease: renewal keeps it.
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 700));
          attempts.push((await b.claim('test:lease')) !== undefined);
        }
      },
      (error) => renewFailures.push(error),
    );
    expect(attempts).toEqual([false, false, false, false, false]);
    expect(renewFailures).toEqual([]);

    // The holder "crashes" (neither records nor releases): within a lease, someone else may take over.
    await new Promise((r) => setTimeout(r, 2300));
    const successor = await b.claim('test:lease');
    expect(successor).toBeDefined();
    // The former holder waking up and releasing must not free the successor's claim.
    await a.release(claim!);
    expect(await a.claim('test:lease')).toBeUndefined();
  });
});
