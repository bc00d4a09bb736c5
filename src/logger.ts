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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'hasura-auth' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  // pino's own default for stdout, made explicit so that both loggers share it.
  const stream = destination ?? pino.destination({ dest: 1, sync: true });
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
