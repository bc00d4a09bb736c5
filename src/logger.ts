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

const REQUEST_LINES = new WeakMap<Logger, RequestLines>();

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
 *
 * The lines are gathered here and handed to sonic-boom as one string per batch: sonic-boom's own
 * batching (`minLength`) appends each line to one growing string and measures that string's byte
 * length on every write, which copies the whole batch again per line (bench/README.md).
 */
function batchedStdout(): pino.DestinationStream {
  const out = pino.destination({ dest: 1, sync: true });
  let lines: string[] = [];
  let length = 0;
  const flush = () => {
    if (!lines.length) return;
    const batch = lines.join('');
    lines = [];
    length = 0;
    out.write(batch);
  };
  setInterval(flush, FLUSH_INTERVAL_MS).unref();
  process.once('exit', () => {
    flush();
    out.flushSync();
  });
  return {
    write(line: string) {
      lines.push(line);
      // UTF-16 units, not bytes: near enough for a batching threshold.
      length += line.length;
      if (length >= BATCH_LENGTH) flush();
    },
  };
}

const BATCH_LENGTH = 4096;
const FLUSH_INTERVAL_MS = 250;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'hasura-auth' },
    timestamp: isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  const stream = destination ?? batchedStdout();
  const logger = pino({ ...options, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  REQUEST_LINES.set(logger, {
    enabled: (lineLevel) => logger.isLevelEnabled(lineLevel),
    write: (lineLevel, fields, msg) => stream.write(`{"level":"${lineLevel}"${isoTime()},${BASE_FIELDS},${fields},"msg":${JSON.stringify(msg)}}\n`),
  });
  return logger;
}

/** The logger's `base`, as pino writes it into every line. */
const BASE_FIELDS = '"service":"hasura-auth"';

export type LineLevel = 'error' | 'warn' | 'info';

/**
 * The one line per request (src/http/request-log.ts), written to the logger's output in pino's
 * line shape (level, time, base fields, then the line's own, then msg), at the logger's level.
 * Those lines hold fixed fields only — never a body, a header or an argument — so they need
 * neither the redaction pass nor pino's generic serialiser, which together cost about as much per
 * request as everything else the service adds above Apollo Server on an authenticated request
 * (bench/README.md).
 */
export interface RequestLines {
  enabled(level: LineLevel): boolean;
  /** `fields`: the line's own JSON members, without braces. */
  write(level: LineLevel, fields: string, msg: string): void;
}

export function requestLines(logger: Logger): RequestLines {
  const lines = REQUEST_LINES.get(logger);
  if (!lines) throw new Error('request lines need a logger made by createLogger');
  return lines;
}
