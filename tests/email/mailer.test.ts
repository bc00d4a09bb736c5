// The mailer against a real SMTP server: credentials from SMTP_URL, implicit TLS, pooled
// connections, refusals as MailDeliveryError; and the development mailer that logs instead.
import { Writable } from 'node:stream';
import { createMailer, MailDeliveryError, senderDomain, type Mailer } from '../../src/email/mailer';
import { createLogger } from '../../src/logger';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const silent = createLogger('silent');
const email = (to: string) => ({ to, subject: 'Hello', text: 'Plain text', html: '<p>HTML</p>' });

let smtp: TestSmtpServer | undefined;
let mailer: Mailer | undefined;
afterEach(async () => {
  mailer?.close();
  mailer = undefined;
  await smtp?.stop();
  smtp = undefined;
});

describe('the SMTP mailer', () => {
  it('logs in with the percent-encoded credentials of SMTP_URL', async () => {
    smtp = await startSmtpServer({ auth: { user: 'mailer@acme.test', pass: 'p@ss:w/rd %x' } });
    const url = `smtp://${encodeURIComponent('mailer@acme.test')}:${encodeURIComponent('p@ss:w/rd %x')}@127.0.0.1:${smtp.port}`;
    mailer = createMailer({ smtpUrl: url, from: 'Acme <no-reply@acme.test>', logger: silent });
    const sent = await mailer.send({ ...email('ann@example.com'), messageId: 'welcome.1.2@acme.test' });
    expect(sent.messageId).toBe('<welcome.1.2@acme.test>');
    expect(smtp.logins).toEqual(['mailer@acme.test']);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.from?.value[0]).toEqual({ name: 'Acme', address: 'no-reply@acme.test' });
    expect(mail!.text?.trim()).toBe('Plain text');
    expect(mail!.html).toContain('<p>HTML</p>');
  });

  it('fails with MailDeliveryError and the reply code when the credentials are wrong', async () => {
    smtp = await startSmtpServer({ auth: { user: 'mailer', pass: 'right' } });
    mailer = createMailer({ smtpUrl: `smtp://mailer:wrong@127.0.0.1:${smtp.port}`, from: 'no-reply@acme.test', logger: silent });
    const failure = await mailer.send(email('ann@example.com')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailDeliveryError);
    expect((failure as MailDeliveryError).responseCode).toBe(535);
    expect((failure as Error).message).not.toContain('wrong');
    expect(smtp.received).toHaveLength(0);
  });

  it('speaks implicit TLS with smtps://', async () => {
    smtp = await startSmtpServer({ secure: true, auth: { user: 'tls', pass: 'secret' } });
    mailer = createMailer({ smtpUrl: smtp.url.replace('smtps://', 'smtps://tls:secret@'), from: 'no-reply@acme.test', logger: silent });
    await mailer.send(email('ann@example.com'));
    expect(await smtp.waitFor(1)).toHaveLength(1);
    expect(smtp.logins).toEqual(['tls']);
  });

  it('reuses a few pooled connections for many emails', async () => {
    smtp = await startSmtpServer();
    mailer = createMailer({ smtpUrl: smtp.url, from: 'no-reply@acme.test', logger: silent });
    await Promise.all(Array.from({ length: 30 }, (_, i) => mailer!.send(email(`user${i}@example.com`))));
    expect(smtp.received).toHaveLength(30);
    expect(smtp.connections()).toBeLessThanOrEqual(5);
    await mailer.send(email('later@example.com'));
    expect(smtp.connections()).toBeLessThanOrEqual(5);
  });

  it('fails with MailDeliveryError when nothing listens', async () => {
    mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'no-reply@acme.test', logger: silent });
    await expect(mailer.send(email('ann@example.com'))).rejects.toBeInstanceOf(MailDeliveryError);
  });
});

describe('the development mailer (no SMTP_URL)', () => {
  it('writes the whole email, readable, to the log at info and sends nothing', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    mailer = createMailer({ smtpUrl: undefined, from: 'Acme <no-reply@acme.test>', logger: createLogger('info', sink) });
    expect(mailer.kind).toBe('log');
    const link = 'http://localhost:3000/reset-password?token=abc&email=ann%40example.com';
    const sent = await mailer.send({ ...email('ann@example.com'), text: `Open ${link}` });
    expect(sent.messageId).toMatch(/^<.+>$/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      email: { to: 'ann@example.com', from: 'Acme <no-reply@acme.test>', subject: 'Hello', text: `Open ${link}` },
    });
  });
});

it('takes Message-ID domains from the From address', () => {
  expect(senderDomain('Acme Accounts <Accounts@Acme.TEST>')).toBe('acme.test');
  expect(senderDomain('no-reply@example.com')).toBe('example.com');
  expect(senderDomain('Hasura Auth <no-reply@localhost>')).toBe('localhost');
  expect(senderDomain('nobody')).toBeUndefined();
});
