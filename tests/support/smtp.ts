// A real SMTP server on loopback (smtp-server), so tests and the benchmark see exactly what a mail
// server would receive. Messages are kept raw and parsed (mailparser) only when asked for, which
// keeps the benchmark's server cheap.
import { createServer as createNetServer } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedEmail {
  /** MAIL FROM and RCPT TO, as the client sent them. */
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface TestSmtpServer {
  port: number;
  /** smtp://127.0.0.1:<port>, or smtps:// for a TLS server (with its test certificate accepted). */
  url: string;
  received: ReceivedEmail[];
  /** SMTP connections accepted so far. */
  connections(): number;
  /** User names that authenticated. */
  logins: string[];
  /** Every message so far, parsed. */
  messages(): Promise<ParsedMail[]>;
  /** Waits until at least `count` messages arrived, then answers all of them parsed. */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

export interface SmtpServerOptions {
  /** Listen on this port (e.g. one a service was told about while the server was "down"). */
  port?: number;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Implicit TLS (smtps://) with smtp-server's built-in test certificate. */
  secure?: boolean;
  /** Refuse RCPT TO for these addresses with this SMTP reply code (e.g. 450 mailbox busy). */
  refuse?: { addresses: string[]; code: number };
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedEmail[] = [];
  const logins: string[] = [];
  let connections = 0;
  const waiters = new Set<() => void>();
  const serverOptions: SMTPServerOptions = {
    secure: options.secure ?? false,
    // No STARTTLS on plain servers: nodemailer would upgrade and then refuse the test certificate.
    disabledCommands: options.secure ? [] : ['STARTTLS'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    // Idle pooled connections from the service must not hold stop() for the default 30 s.
    closeTimeout: 100,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        logins.push(auth.username ?? '');
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onRcptTo(address, _session, callback) {
      if (options.refuse?.addresses.includes(address.address)) {
        callback(Object.assign(new Error('Mailbox unavailable, try again later'), { responseCode: options.refuse.code }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks),
        });
        for (const wake of waiters) wake();
        callback();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  const parseAll = () => Promise.all(received.map((m) => simpleParser(m.raw)));
  return {
    port,
    url: options.secure ? `smtps://127.0.0.1:${port}/?tls.rejectUnauthorized=false` : `smtp://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    logins,
    messages: parseAll,
    async waitFor(count, timeoutMs = 10_000) {
      if (received.length < count) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`expected ${count} emails within ${timeoutMs} ms, got ${received.length}`));
          }, timeoutMs);
          const check = () => {
            if (received.length < count) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
        });
      }
      return parseAll();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port with nothing listening on it (a mail server that is down). */
export function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The first address of a parsed To/From header. */
export function firstAddress(field: AddressObject | AddressObject[] | undefined): string | undefined {
  const object = Array.isArray(field) ? field[0] : field;
  return object?.value[0]?.address;
}
