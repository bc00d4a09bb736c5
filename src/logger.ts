// Structured JSON logs. Secrets never reach a log line: the paths below are redacted wherever
// they appear, and the code logs identifiers (user id, session id), never credentials.
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'old_password',
  '*.old_password',
  'new_password',
  '*.new_password',
  'token',
  '*.token',
  'refresh',
  '*.refresh',
  'access',
  '*.access',
  'variables',
  '*.variables',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-webhook-secret"]',
  'headers.authorization',
  'headers["x-webhook-secret"]',
];

const requestLoggers = new WeakMap<Logger, Logger>();

/** pino's ISO timestamp, formatted once per millisecond: under load, lines share one. */
let lastMillis = -1;
let lastTime = '';
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMillis) {
    lastMillis = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/**
 * Standard output, written in batches: one write(2) per 4 kB of lines or per 250 ms, whichever
 * comes first, rather than one per line (per-request logging cost a tenth of the refresh path's
 * throughput under load; bench/). Still synchronous (never queued behind bcrypt in libuv's thread pool), and flushed on
 * exit; a process killed outright (SIGKILL, out of memory) loses at most its last 250 ms of lines.
 */
function batchedStdout(): pino.DestinationStream {
  const stream = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 250 });
  process.once('exit', () => stream.flushSync());
  return stream;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'hasura-auth' },
    timestamp: isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  const stream = destination ?? batchedStdout();
  const logger = pino({ ...options, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  requestLoggers.set(logger, pino(options, stream));
  return logger;
}

/**
 * The logger for the one line per request (src/http/request-log.ts): the same output without the
 * redaction pass. Those lines are built from fixed fields — never a body, a header or an argument —
 * so there is nothing to redact, and the pass costs more than the rest of the line.
 */
export function requestLogger(logger: Logger): Logger {
  return requestLoggers.get(logger) ?? logger;
}
