// The new emails of the account's life keep the exactly-once rule: twenty concurrent deliveries of
// one event, split across two instances sharing the database, send one email.
import { ChangeEmailDocument, EmailVerificationResendDocument } from '../generated/graphql';
import { bearer } from '../support/fixtures';
import { deliver, type TriggerName } from '../support/hasura-events';
import { TestClock, type TestService } from '../support/service';
import { setupTestDatabase, setupTestService } from '../support/setup';

const clock = new TestClock();
const database = setupTestDatabase();
const t = setupTestService({ database, mailbox: true, clock });
let other: TestService | undefined;
beforeAll(async () => {
  // Two instances need a real server: the embedded database is one session of one process.
  if (!database.db.embedded) other = await database.startService({ env: { SMTP_URL: t.mailbox.url }, clock });
});
const instance = (i: number) => (i % 2 && other ? other : t.service);
const settle = () => new Promise((r) => setTimeout(r, 300));

/** A resent verification link's row. */
async function verificationRow(): Promise<string> {
  const user = await t.users.register({ prefix: 'unverified' });
  // One link a minute per user: the welcome email's is the first.
  clock.advance(61);
  await t.service.request(EmailVerificationResendDocument, { arg: { email: user.email } });
  const row = await t.service.services.db.prisma.emailVerificationRequest.findFirstOrThrow({ where: { userId: user.id, withWelcome: false } });
  return row.id;
}

/** A change of email's row (both of its triggers fire on it). */
async function changeRow(): Promise<string> {
  const user = await t.users.register({ prefix: 'changer' });
  await t.service.request(ChangeEmailDocument, { arg: { new_email: `new.${user.email}`, password: user.password } }, bearer(user.tokens.access));
  return (await t.service.services.db.prisma.emailChangeRequest.findFirstOrThrow({ where: { userId: user.id } })).id;
}

describe('twenty concurrent deliveries of one event, split across two instances', () => {
  it.each([
    ['email_verification_requested', verificationRow],
    ['email_change_requested', changeRow],
    ['email_change_notice', changeRow],
  ] as [TriggerName, () => Promise<string>][])('%s: exactly one email, one "sent"', async (trigger, makeRow) => {
    const id = await makeRow();
    const before = t.mailbox.received.length;
    const event = await t.events.forRow(trigger, id);

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => deliver(instance(i).url, trigger, event)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.map((a) => a.body?.status).sort()).toEqual([...Array(19).fill('already_sent'), 'sent'].sort());

    await settle();
    expect(t.mailbox.received.length - before).toBe(1);
    expect((await deliver(instance(1).url, trigger, event)).body?.status).toBe('already_sent');
    await settle();
    expect(t.mailbox.received.length - before).toBe(1);
  });
});
