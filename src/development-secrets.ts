// `npm start` with no configuration at all needs secrets that production must be given. This step
// makes them — once, under DATA_DIR, so that tokens and webhook configuration survive restarts —
// and hands them to loadConfig as variables. It is the only part of start-up that writes a file
// before the database opens; loading the configuration itself writes nothing.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DEFAULT_DATA_DIR, loadConfig, readEnvironment, type Config } from './config';

/** Each variable a development machine may go without, and the file under DATA_DIR that keeps its value. */
const SECRETS: ReadonlyArray<{ variable: string; file: string; value: (secret: string) => string }> = [
  { variable: 'HASURA_GRAPHQL_JWT_SECRET', file: 'jwt-key', value: (key) => JSON.stringify({ type: 'HS256', key }) },
  { variable: 'EVENT_WEBHOOK_SECRET', file: 'webhook-secret', value: (secret) => secret },
  { variable: 'AUTH_SECRET', file: 'auth-secret', value: (secret) => secret },
];

/**
 * Outside production, the secrets `env` lacks, read from (or first written to) files under its
 * DATA_DIR (mode 0600). In production: nothing — a missing secret is an error there.
 */
export function ensureDevelopmentSecrets(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  if (env.NODE_ENV === 'production') return {};
  const dataDir = path.resolve(env.DATA_DIR || DEFAULT_DATA_DIR);
  const made: Record<string, string> = {};
  for (const { variable, file, value } of SECRETS) {
    if (!env[variable]) made[variable] = value(storedSecret(dataDir, file));
  }
  return made;
}

function storedSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  // The mode given to writeFileSync is masked by the umask; the secret must not be group-readable.
  chmodSync(file, 0o600);
  return secret;
}

/**
 * The configuration of a command (`npm start`, `npm run keys:rotate`): the environment, with the
 * development secrets made when missing (zero setup outside production). A configuration error is
 * one line on stderr and exit code 1, never a stack trace.
 */
export function loadCommandConfig(): Config {
  try {
    const env = readEnvironment();
    return loadConfig({ env: { ...env, ...ensureDevelopmentSecrets(env) }, envFile: false });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
