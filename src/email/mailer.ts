// Sending email. With SMTP_URL: a pooled nodemailer SMTP transport. Without: a development
// transport that sends nothing and writes each email, links included, to the log at info, so that
// `npm start` with no setup still lets a developer follow a password reset.
import type { SendMailOptions, Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { onFirstUse } from '../first-use';
import type { Logger } from '../logger';

const nodemailer = onFirstUse(() => import('nodemailer'));

/** What either transport answers a send with (of what nodemailer returns, the part read here). */
type Transport = Transporter<{ messageId: string }>;

/**
 * nodemailer, loaded with the first email: its transports, MIME builder and DKIM code are some
 * 40 modules (several MB resident, bench/README.md) that an instance whose users only sign in and
 * refresh never needs. (`senderDomain` uses its address parser alone, a single module.)
 */
async function createTransport(...args: Parameters<Awaited<ReturnType<typeof nodemailer>>['default']['createTransport']>): Promise<Transport> {
  return (await nodemailer()).default.createTransport(...args);
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * A stable Message-ID for this email (without angle brackets), so that a receiving system that
   * sees the same email twice — after a crash between sending and recording it — can tell.
   */
  messageId?: string;
}

export interface SentEmail {
  messageId: string;
}

export interface Mailer {
  /** 'smtp': a real mail server; 'log': the development transport. */
  readonly kind: 'smtp' | 'log';
  /** Resolves once the mail server accepted the message; rejects with MailDeliveryError otherwise. */
  send(email: OutgoingEmail): Promise<SentEmail>;
  /** Closes pooled connections. Idempotent. */
  close(): void;
}

/** The mail server refused the message or could not be reached: worth retrying later. */
export class MailDeliveryError extends Error {
  override name = 'MailDeliveryError';

  constructor(
    message: string,
    /** SMTP reply code when the server answered (e.g. 421, 450, 550). */
    readonly responseCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface MailerOptions {
  /** smtp:// or smtps:// with optional credentials and nodemailer options as query parameters. */
  smtpUrl: string | undefined;
  /** The From header, e.g. `App <no-reply@example.com>`. */
  from: string;
  logger: Logger;
}

// Bounds on every SMTP phase, so a send fails well within Hasura's default 60 s webhook timeout
// (and within the claim lease of events/email-claims.ts, which is renewed while a send runs)
// instead of hanging on nodemailer's defaults of minutes.
const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 20_000,
  dnsTimeout: 5_000,
};

export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl ? smtpMailer(options.smtpUrl, options.from) : logMailer(options.from, options.logger);
}

function smtpMailer(smtpUrl: string, from: string): Mailer {
  // nodemailer reads host, port, TLS (smtps:) and percent-decoded credentials from the URL, and
  // options from its query (e.g. ?maxConnections=10 or ?tls.rejectUnauthorized=false for a relay
  // with a private certificate); the URL's values win over the defaults given here.
  let transport: Promise<Transport> | undefined;
  let closed = false;
  return {
    kind: 'smtp',
    async send(email) {
      try {
        transport ??= createTransport({ pool: true, url: smtpUrl, maxConnections: 5, ...SMTP_TIMEOUTS }, { from });
        const info = await (await transport).sendMail(toMessage(email));
        return { messageId: info.messageId };
      } catch (error) {
        throw deliveryError(error);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      // A send still creating the transport would open its pool after this: close it when made.
      void transport?.then((made) => made.close(), () => {});
    },
  };
}

function logMailer(from: string, logger: Logger): Mailer {
  // jsonTransport builds the message like a real send would (addresses and headers checked) but
  // hands it back instead of sending it.
  let transport: Promise<Transport> | undefined;
  return {
    kind: 'log',
    async send(email) {
      let info: { messageId: string };
      try {
        transport ??= createTransport({ jsonTransport: true }, { from });
        info = await (await transport).sendMail(toMessage(email));
      } catch (error) {
        throw deliveryError(error);
      }
      // Deliberately readable, link and all: this transport exists so that a developer without a
      // mail server can act on the email. It is only used when SMTP_URL is unset.
      logger.info(
        { email: { messageId: info.messageId, from, to: email.to, subject: email.subject, text: email.text } },
        'email written to the log instead of sent (SMTP_URL is unset)',
      );
      return { messageId: info.messageId };
    },
    close() {},
  };
}

function toMessage(email: OutgoingEmail): SendMailOptions {
  return {
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    ...(email.messageId ? { messageId: `<${email.messageId}>` } : {}),
    // RFC 3834: an automatic message; well-behaved autoresponders do not answer it.
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}

function deliveryError(error: unknown): MailDeliveryError {
  const e = error as { message?: unknown; responseCode?: unknown; code?: unknown };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const reason = typeof e.message === 'string' ? e.message : String(error);
  return new MailDeliveryError(`the mail server did not accept the email: ${reason}`, code, { cause: error });
}

/** The domain of the From address, for Message-IDs; undefined when EMAIL_FROM holds no address. */
export function senderDomain(from: string): string | undefined {
  for (const entry of addressparser(from, { flatten: true })) {
    const at = entry.address?.lastIndexOf('@') ?? -1;
    if (entry.address && at > 0 && at < entry.address.length - 1) return entry.address.slice(at + 1).toLowerCase();
  }
  return undefined;
}
