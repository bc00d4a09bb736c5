// What the webhooks refuse: callers without the secret (401), and anything that is not a Hasura
// event of the endpoint's trigger (400) — and none of it sends an email.
import { hasuraEvent, rowAsJson, type HasuraEventPayload } from '../support/hasura-events';
import { TEST_WEBHOOK_SECRET } from '../support/service';
import { setupTestService } from '../support/setup';

const t = setupTestService({ mailbox: true });
let userId: number;
let requestId: string;
let userEvent: HasuraEventPayload;
let resetEvent: HasuraEventPayload;

beforeAll(async () => {
  userId = (await t.users.register({ username: 'target' })).id;
  requestId = await t.resetRequests.create(userId);
  userEvent = await t.events.forRow('user_registered', userId);
  resetEvent = await t.events.forRow('password_reset_requested', requestId);
});

const deliver = (trigger: string, body: unknown, options?: { secret?: string | null; contentType?: string }) => t.events.deliver(trigger, body, options);

/** A deep copy of `event` with `change` applied. */
function altered(event: HasuraEventPayload, change: (e: HasuraEventPayload & Record<string, unknown>) => void): HasuraEventPayload {
  const copy = structuredClone(event) as HasuraEventPayload & Record<string, unknown>;
  change(copy);
  return copy;
}

async function nothingSent(): Promise<void> {
  // Emails go out before the answer; the pause only catches one sent behind the answer's back.
  await new Promise((r) => setTimeout(r, 50));
  expect(t.mailbox.received).toHaveLength(0);
  const user = await t.service.services.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
  expect(user.registrationSent).toBe(false);
  const request = await t.service.services.db.prisma.passwordResetRequest.findUniqueOrThrow({ where: { id: requestId } });
  expect(request.resetSent).toBe(false);
  expect(await t.service.services.db.prisma.emailClaim.count()).toBe(0);
}

describe('the webhook secret', () => {
  it.each([
    ['no x-webhook-secret header', null],
    ['a wrong secret', 'not-the-secret'],
    ['the secret with one character changed', TEST_WEBHOOK_SECRET.slice(0, -1) + 'X'],
    ['the secret in another letter case', TEST_WEBHOOK_SECRET.toUpperCase()],
    ['the secret with a suffix', `${TEST_WEBHOOK_SECRET}x`],
    ['an empty secret', ''],
  ])('%s → 401 on both endpoints', async (_, secret) => {
    for (const [trigger, event] of [['user_registered', userEvent], ['password_reset_requested', resetEvent]] as const) {
      const res = await deliver(trigger, event, { secret });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized' });
    }
    await nothingSent();
  });

  it('is checked before the body is read: a bad body without the secret is 401, not 400', async () => {
    const res = await deliver('user_registered', '{not json', { secret: null });
    expect(res.status).toBe(401);
  });

  it('is never written to the log', async () => {
    await deliver('user_registered', '{}');
    expect(t.service.logs.join('\n')).not.toContain(TEST_WEBHOOK_SECRET);
  });
});

describe('payloads that are not a Hasura event for the endpoint', () => {
  const big = 'x'.repeat(70 * 1024);
  const cases: [string, 'user_registered' | 'password_reset_requested', () => unknown | Promise<unknown>, { contentType?: string }?][] = [
    ['a body that is not JSON', 'user_registered', () => '{"id": "', {}],
    ['JSON sent as text/plain', 'user_registered', () => JSON.stringify(userEvent), { contentType: 'text/plain' }],
    ['a JSON array', 'user_registered', () => [userEvent]],
    ['an empty object', 'user_registered', () => ({})],
    ['the wrong table', 'user_registered', () => altered(userEvent, (e) => (e.table = { schema: 'public', name: 'roles' }))],
    ['the right table in another schema', 'user_registered', () => altered(userEvent, (e) => (e.table = { schema: 'auth', name: 'users' }))],
    ['the wrong trigger', 'user_registered', () => altered(userEvent, (e) => (e.trigger = { name: 'send_welcome_email' }))],
    ['the other endpoint’s trigger', 'password_reset_requested', () => altered(resetEvent, (e) => (e.trigger = { name: 'user_registered' }))],
    ['op DELETE', 'user_registered', () => altered(userEvent, (e) => {
      e.event.op = 'DELETE';
      e.event.data = { old: e.event.data.new, new: null };
    })],
    ['op UPDATE', 'user_registered', () => altered(userEvent, (e) => {
      e.event.op = 'UPDATE';
      e.event.data = { old: e.event.data.new, new: e.event.data.new };
    })],
    ['an unknown op', 'user_registered', () => altered(userEvent, (e) => ((e.event as Record<string, unknown>).op = 'UPSERT'))],
    ['no data.new', 'user_registered', () => altered(userEvent, (e) => delete (e.event.data as Record<string, unknown>).new)],
    ['data.new null', 'password_reset_requested', () => altered(resetEvent, (e) => (e.event.data.new = null))],
    ['an old row on an INSERT', 'user_registered', () => altered(userEvent, (e) => (e.event.data.old = e.event.data.new))],
    ['a user id that is a string', 'user_registered', () => altered(userEvent, (e) => (e.event.data.new!.id = String(userId)))],
    ['a user id that is not an integer', 'user_registered', () => altered(userEvent, (e) => (e.event.data.new!.id = userId + 0.5))],
    ['a request id that is not a uuid', 'password_reset_requested', () => altered(resetEvent, (e) => (e.event.data.new!.id = 'abc'))],
    ['an event id that is not a uuid', 'user_registered', () => altered(userEvent, (e) => (e.id = '42'))],
    ['created_at that is no timestamp', 'user_registered', () => altered(userEvent, (e) => (e.created_at = 'yesterday'))],
    ['delivery_info of the wrong type', 'user_registered', () => altered(userEvent, (e) => (e.delivery_info = { max_retries: 5, current_retry: '0' as unknown as number }))],
    ['no delivery_info', 'user_registered', () => altered(userEvent, (e) => delete (e as Record<string, unknown>).delivery_info)],
    ['session_variables of the wrong type', 'user_registered', () => altered(userEvent, (e) => (e.event.session_variables = 'admin' as unknown as null))],
    ['an oversized body', 'user_registered', () => altered(userEvent, (e) => (e.event.data.new!.padding = big))],
    ['a reset-request row under the users table', 'user_registered', async () =>
      hasuraEvent('user_registered', await rowAsJson(t.service.services.db.pool, 'password_reset_requests', ['id', 'user_id', 'created_at', 'expires_at', 'used_at', 'reset_sent'], requestId))],
    ['a roles row under the users table', 'user_registered', async () =>
      hasuraEvent('user_registered', await rowAsJson(t.service.services.db.pool, 'roles', ['id', 'name', 'created_at'], 1))],
    ['a users row sent to password_reset_requested', 'password_reset_requested', () =>
      altered(userEvent, (e) => {
        e.trigger = { name: 'password_reset_requested' };
        e.table = { schema: 'public', name: 'password_reset_requests' };
      })],
  ];

  // Objects rather than rows: jest takes an argument missing from a row for a `done` callback.
  it.each(cases.map(([name, trigger, body, options]) => ({ name, trigger, body, options })))('$name → 400', async ({ trigger, body, options }) => {
    const res = await deliver(trigger, await body(), options ?? {});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_event', message: expect.stringMatching(/^Not a Hasura /) });
    await nothingSent();
  });

  it('has at least eight cases', () => expect(cases.length).toBeGreaterThanOrEqual(8));

  it('refuses methods other than POST', async () => {
    const res = await fetch(`${t.service.url}/events/user_registered`, { headers: { 'x-webhook-secret': TEST_WEBHOOK_SECRET } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('still accepts the untouched events afterwards, extra columns and session variables included', async () => {
    const withExtras = altered(userEvent, (e) => {
      e.event.session_variables = { 'x-hasura-role': 'admin' };
      e.event.trace_context = { trace_id: '7a2f8a0ca2b30d54', span_id: 'dd22e49cd56cb13b' };
      e.event.data.new!.some_new_column = 'ignored';
    });
    expect(await deliver('user_registered', withExtras)).toMatchObject({ status: 200, body: { status: 'sent' } });
    expect(await deliver('password_reset_requested', resetEvent)).toMatchObject({ status: 200, body: { status: 'sent' } });
    expect(await t.mailbox.waitFor(2)).toHaveLength(2);
  });
});
