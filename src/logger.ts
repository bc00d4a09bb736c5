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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hasura-auth' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
