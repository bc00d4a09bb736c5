// Registration cannot be turned into a spam cannon: sign-ups are limited for everyone together
// (behind Hasura the client is unknown), emails per recipient domain are capped per hour, and the
// text a registrant chooses never reaches a subject and is inert in bodies.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deliver, eventForRow } from '../support/hasura-events';
import { REGISTER } from '../support/operations';
import { startTestService, type GraphQLResponse, type TestService } from '../support/service';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
let counter = 0;
const register = (service: TestService, username = `signup${++counter}`, email = `${username}@example.com`) =>
  service.gql<{ user_register: { id: number } }>(REGISTER, { arg: { username, email, password: 'a long enough password' } });

describe('sign-ups', () => {
  it('stop at the global limit (60 per 10 minutes by default) with TOO_MANY_REQUESTS, without any client address', async () => {
    const service = await startTestService(db);
    try {
      const answers: GraphQLResponse[] = [];
      for (let batch = 0; batch < 8; batch++) answers.push(...(await Promise.all(Array.from({ length: 10 }, () => register(service)))));
      const codes = answers.map(codeOf);
      expect(codes.filter((c) => c === undefined)).toHaveLength(60);
      expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(20);
      const limited = answers.find((a) => codeOf(a) === 'TOO_MANY_REQUESTS')!;
      expect(limited.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
    } finally {
      await service.stop();
    }
    // Eighty registrations, each hashing a password: more than the default 30 s on a busy machine.
  }, 120_000);
});

describe('emails', () => {
  let smtp: TestSmtpServer;
  let service: TestService;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    service = await startTestService(db, { env: { SMTP_URL: smtp.url, RATE_LIMIT_EMAIL_PER_DOMAIN: '2/1h', RATE_LIMIT_REGISTER: 'off' } });
  });
  afterAll(async () => {
    await service.stop();
    await smtp.stop();
  });
  const welcome = async (username: string, email: string) => {
    const res = await register(service, username, email);
    expect(res.errors).toBeUndefined();
    return deliver(service.url, 'user_registered', await eventForRow(service.services.db.pool, 'user_registered', res.data!.user_register.id));
  };

  it('to one recipient domain stop at RATE_LIMIT_EMAIL_PER_DOMAIN an hour; other domains are unaffected', async () => {
    const sent = smtp.received.length;
    expect(await welcome('victim1', 'a@victim.test')).toMatchObject({ status: 200, body: { status: 'sent' } });
    expect(await welcome('victim2', 'b@VICTIM.test')).toMatchObject({ status: 200, body: { status: 'sent' } });
    expect(await welcome('victim3', 'c@victim.test')).toMatchObject({ status: 200, body: { status: 'skipped' } });
    expect(await welcome('elsewhere', 'd@elsewhere.test')).toMatchObject({ status: 200, body: { status: 'sent' } });
    expect(smtp.received.length).toBe(sent + 3);
    expect(smtp.received.slice(sent).flatMap((m) => m.envelope.to)).not.toContain('c@victim.test');
    expect(service.logs.some((line) => line.includes('"reason":"domain_limit"'))).toBe(true);
  });

  it('carry the registrant’s username nowhere in the subject, and make it inert (no link) in the bodies', async () => {
    const before = smtp.received.length;
    expect(await welcome('WIN-a-prize-at-evil.example.com', 'prize@inert.test')).toMatchObject({ body: { status: 'sent' } });
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail!.subject).not.toMatch(/prize|evil/i);
    for (const body of [String(mail!.text), String(mail!.html)]) {
      expect(body).toContain('WIN-a-prize-at-evil');
      // No domain a mail client would make a link of: every dot is followed by a zero-width space.
      expect(body).not.toContain('evil.example.com');
      expect(body).toContain('evil.\u200Bexample.\u200Bcom');
    }
  });

  it('an operator’s subject template may not use the username or the email', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'templates-'));
    try {
      await writeFile(path.join(dir, 'welcome.subject.txt'), 'Welcome, {{username}}!');
      await expect(startTestService(db, { env: { EMAIL_TEMPLATES_DIR: dir } })).rejects.toThrow(/welcome\.subject\.txt uses \{\{username\}\}/);
      await writeFile(path.join(dir, 'welcome.subject.txt'), 'Mail for {{ email }}');
      await expect(startTestService(db, { env: { EMAIL_TEMPLATES_DIR: dir } })).rejects.toThrow(/welcome\.subject\.txt uses \{\{email\}\}/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
