// The one place that reads the environment. Everything else receives a typed, validated `Config`.
// A bad value stops start-up with one line naming the variable (`ConfigError`).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { parseJwtSecret, type JwtConfig } from './auth/jwt-config';
import { MIN_AUTH_SECRET_LENGTH } from './keys/derived-keys';
import { oidcProvidersSchema, providerSettings, redirectUrlsSchema, type ProvidersConfig } from './providers/provider-config';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

export type Environment = 'development' | 'production' | 'test';

export interface Config {
  nodeEnv: Environment;
  port: number;
  host: string;
  /** Unset: the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  dataDir: string;
  migrateOnStart: boolean;
  /** The root of every derived key (reset and verification links, encrypted secrets). */
  authSecret: string;
  jwt: JwtConfig;
  /** Seconds. */
  accessTokenTtl: number;
  refreshTokenTtl: number;
  refreshTokenRotation: boolean;
  refreshTokenReuseGrace: number;
  bcryptRounds: number;
  passwordMinLength: number;
  passwordResetTtl: number;
  passwordResetUrl: string;
  smtpUrl: string | undefined;
  emailFrom: string;
  emailTemplatesDir: string | undefined;
  appName: string;
  eventWebhookSecret: string;
  defaultRole: string;
  roles: string[];
  admin: { username: string; email: string; password: string; role: string } | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  playground: boolean;
  shutdownTimeout: number;
  /**
   * Which proxies' `X-Forwarded-For` to believe (Express's `trust proxy`): `false` — the client's
   * address is unknown (behind Hasura every request comes from Hasura), so per-client limits are
   * off; a hop count (0: clients connect directly); `true` (the left-most address); or a list of
   * trusted proxy addresses and subnets.
   */
  trustProxy: TrustProxy;
  /** Browser origins allowed to call `POST /graphql` cross-origin: `*`, or exact origins (`:*` = any port). */
  corsOrigins: '*' | string[];
  rateLimits: RateLimitConfig;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Where browsers reach the service (PUBLIC_URL, no trailing slash): provider callbacks are built from it. */
  publicUrl: string;
  /** Sign-in with a provider (OpenID Connect, GitHub). */
  signInProviders: ProvidersConfig;
}

export type TrustProxy = boolean | number | string[];

/** `points` events per `duration` seconds; `undefined` = no limit. */
export interface RateLimit {
  points: number;
  duration: number;
}

export interface RateLimitConfig {
  /** Failed logins per account; a success clears them. */
  login: RateLimit | undefined;
  /** Failed logins per client address (TRUST_PROXY only). */
  loginPerClient: RateLimit | undefined;
  /** Registrations per client address (TRUST_PROXY only). */
  registerPerClient: RateLimit | undefined;
  /** Reset requests per email; over it the request is silently dropped. */
  resetRequest: RateLimit | undefined;
  /** Reset requests per client address (TRUST_PROXY only); silently dropped too. */
  resetRequestPerClient: RateLimit | undefined;
  /** Reset token checks (validate and confirm together) per email. */
  resetAttempt: RateLimit | undefined;
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 } as const;

/** "900", "900s", "15m", "1h", "7d" → seconds. */
export function parseDuration(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof UNIT_SECONDS;
  return Number(match[1]) * UNIT_SECONDS[unit];
}

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const duration = (min: number) =>
  z
    .string()
    .transform((v, ctx) => {
      const seconds = parseDuration(v);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be a duration like 900, 15m, 1h or 7d (got "${v}")` });
        return z.NEVER;
      }
      return seconds;
    })
    .pipe(z.number().min(min, `must be at least ${min} seconds`));

/** "10/15m": at most 10 per 15 minutes; "off": no limit (null: zod's default would replace undefined). */
const rateLimit = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v, ctx): RateLimit | null => {
    if (v === 'off') return null;
    const match = /^(\d+)\s*\/\s*(.+)$/.exec(v);
    const points = match ? Number(match[1]) : NaN;
    const duration = match?.[2] ? parseDuration(match[2]) : undefined;
    if (!(points >= 1 && points <= 1_000_000) || duration === undefined || duration < 1 || duration > 30 * 86400) {
      ctx.addIssue({ code: 'custom', message: `must be "<count>/<duration>" like 10/15m, or off (got "${v}")` });
      return z.NEVER;
    }
    return { points, duration };
  });

const TRUST_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** A proxy address, subnet (10.0.0.0/8) or one of Express's names (loopback, linklocal, uniquelocal). */
function isProxyAddress(entry: string): boolean {
  if (TRUST_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  if (isIP(prefix) === family) return true; // a netmask
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxy = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v, ctx): TrustProxy => {
    if (v === 'false' || v === 'no') return false;
    if (v === 'true' || v === 'yes') return true;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    const entries = v.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.find((e) => !isProxyAddress(e));
    if (!entries.length || bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be false, true, a number of proxies, or a list of proxy addresses/subnets (got "${bad ?? v}")`,
      });
      return z.NEVER;
    }
    return entries;
  });

const ORIGIN = /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:(\d{1,5}|\*))?$/;

const corsOrigins = z
  .string()
  .trim()
  .transform((v, ctx): '*' | string[] => {
    if (v === '*') return '*';
    const origins = v.split(',').map((o) => o.trim().toLowerCase().replace(/\/$/, '')).filter(Boolean);
    const bad = origins.find((o) => !ORIGIN.test(o));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `must be * or a comma list of origins like https://app.example.com (got "${bad}")` });
      return z.NEVER;
    }
    return origins;
  });

/** Development default: a front end on any local port may call the service. */
const LOCAL_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'];

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const roleName = z.string().trim().regex(/^[a-z][a-z0-9_-]{0,62}$/i, 'must be a role name of letters, digits, _ or -');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: integer(1, 200).default(10),
  DATA_DIR: z.string().min(1).default('.data'),
  MIGRATE_ON_START: boolean.default(true),
  AUTH_SECRET: z.string().optional(),
  HASURA_GRAPHQL_JWT_SECRET: z.string().optional(),
  ACCESS_TOKEN_TTL: duration(10).default(15 * 60),
  REFRESH_TOKEN_TTL: duration(60).default(7 * 86400),
  REFRESH_TOKEN_ROTATION: boolean.default(false),
  REFRESH_TOKEN_REUSE_GRACE: duration(0).default(10),
  BCRYPT_ROUNDS: integer(4, 15).default(12),
  PASSWORD_MIN_LENGTH: integer(1, 72).default(8),
  PASSWORD_RESET_TTL: duration(60).default(3600),
  PASSWORD_RESET_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000/reset-password'),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  EMAIL_FROM: z.string().min(3).default('Hasura Auth <no-reply@localhost>'),
  EMAIL_TEMPLATES_DIR: z.string().min(1).optional(),
  APP_NAME: z.string().min(1).max(100).default('Hasura Auth'),
  EVENT_WEBHOOK_SECRET: z.string().optional(),
  DEFAULT_ROLE: roleName.default('user'),
  ROLES: z
    .string()
    .default('user,manager')
    .transform((v) => [...new Set(v.split(',').map((r) => r.trim()).filter(Boolean))])
    .pipe(z.array(roleName).min(1, 'must list at least one role')),
  ADMIN_USERNAME: z.string().trim().min(1).optional(),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(1).optional(),
  ADMIN_ROLE: roleName.default('manager'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PLAYGROUND: boolean.optional(),
  SHUTDOWN_TIMEOUT: duration(0).default(10),
  TRUST_PROXY: trustProxy.default(false),
  CORS_ORIGINS: corsOrigins.optional(),
  RATE_LIMIT_LOGIN: rateLimit.default({ points: 10, duration: 15 * 60 }),
  RATE_LIMIT_LOGIN_PER_CLIENT: rateLimit.default({ points: 100, duration: 15 * 60 }),
  RATE_LIMIT_REGISTER_PER_CLIENT: rateLimit.default({ points: 20, duration: 3600 }),
  RATE_LIMIT_RESET_REQUEST: rateLimit.default({ points: 3, duration: 3600 }),
  RATE_LIMIT_RESET_REQUEST_PER_CLIENT: rateLimit.default({ points: 20, duration: 3600 }),
  RATE_LIMIT_RESET_ATTEMPT: rateLimit.default({ points: 10, duration: 15 * 60 }),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ALLOWED_REDIRECT_URLS: redirectUrlsSchema.default([]),
  OIDC_PROVIDERS: oidcProvidersSchema.default([]),
  PROVIDER_TIMEOUT: duration(1).default(10),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  MICROSOFT_CLIENT_ID: z.string().min(1).optional(),
  MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
  MICROSOFT_TENANT: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a tenant id or domain').default('common'),
  APPLE_CLIENT_ID: z.string().min(1).optional(),
  APPLE_TEAM_ID: z.string().min(1).optional(),
  APPLE_KEY_ID: z.string().min(1).optional(),
  APPLE_PRIVATE_KEY: z.string().min(1).optional(),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  GITHUB_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://github.com'),
});

type RawConfig = z.infer<typeof schema>;

export interface LoadConfigOptions {
  /** Variables; the process environment in production code, a plain object in tests. */
  env?: Record<string, string | undefined>;
  /** A `.env` file read under `env` (real variables win). Default: `.env` in the working directory. */
  envFile?: string | false;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = { ...readEnvFile(options.envFile), ...definedOnly(options.env ?? process.env) };
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(variable, describeIssue(issue, env[variable]));
  }
  return toConfig(parsed.data);
}

function toConfig(raw: RawConfig): Config {
  const production = raw.NODE_ENV === 'production';
  const dataDir = path.resolve(raw.DATA_DIR);

  if (raw.BCRYPT_ROUNDS < 10 && raw.NODE_ENV !== 'test') {
    throw new ConfigError('BCRYPT_ROUNDS', 'must be at least 10 outside tests');
  }

  const authSecret = raw.AUTH_SECRET ?? (production ? undefined : developmentSecret(dataDir, 'auth-secret'));
  if (!authSecret) throw new ConfigError('AUTH_SECRET', 'is required in production');
  if (authSecret.length < MIN_AUTH_SECRET_LENGTH) {
    throw new ConfigError('AUTH_SECRET', `must be at least ${MIN_AUTH_SECRET_LENGTH} characters`);
  }

  const jwtSecret =
    raw.HASURA_GRAPHQL_JWT_SECRET ??
    (production
      ? undefined
      : JSON.stringify({ type: 'HS256', key: developmentSecret(dataDir, 'jwt-key') }));
  if (!jwtSecret) throw new ConfigError('HASURA_GRAPHQL_JWT_SECRET', 'is required in production');
  let jwt: JwtConfig;
  try {
    jwt = parseJwtSecret(jwtSecret);
  } catch (error) {
    throw new ConfigError('HASURA_GRAPHQL_JWT_SECRET', (error as Error).message);
  }

  const eventWebhookSecret =
    raw.EVENT_WEBHOOK_SECRET ?? (production ? undefined : developmentSecret(dataDir, 'webhook-secret'));
  if (!eventWebhookSecret) throw new ConfigError('EVENT_WEBHOOK_SECRET', 'is required in production');
  if (production && eventWebhookSecret.length < 32) {
    throw new ConfigError('EVENT_WEBHOOK_SECRET', 'must be at least 32 characters in production');
  }

  const adminFields = [raw.ADMIN_USERNAME, raw.ADMIN_EMAIL, raw.ADMIN_PASSWORD];
  if (adminFields.some(Boolean) && !adminFields.every(Boolean)) {
    const missing = ['ADMIN_USERNAME', 'ADMIN_EMAIL', 'ADMIN_PASSWORD'].find((_, i) => !adminFields[i]);
    throw new ConfigError(missing ?? 'ADMIN_USERNAME', 'is required when any ADMIN_* variable is set');
  }
  const roles = raw.ROLES.includes(raw.DEFAULT_ROLE) ? raw.ROLES : [raw.DEFAULT_ROLE, ...raw.ROLES];

  const providers = providerSettings(raw, raw.OIDC_PROVIDERS);
  if ('variable' in providers) throw new ConfigError(providers.variable, providers.reason);

  return {
    nodeEnv: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    databaseUrl: raw.DATABASE_URL,
    databasePoolMax: raw.DATABASE_POOL_MAX,
    dataDir,
    migrateOnStart: raw.MIGRATE_ON_START,
    authSecret,
    jwt,
    accessTokenTtl: raw.ACCESS_TOKEN_TTL,
    refreshTokenTtl: raw.REFRESH_TOKEN_TTL,
    refreshTokenRotation: raw.REFRESH_TOKEN_ROTATION,
    refreshTokenReuseGrace: raw.REFRESH_TOKEN_REUSE_GRACE,
    bcryptRounds: raw.BCRYPT_ROUNDS,
    passwordMinLength: raw.PASSWORD_MIN_LENGTH,
    passwordResetTtl: raw.PASSWORD_RESET_TTL,
    passwordResetUrl: raw.PASSWORD_RESET_URL,
    smtpUrl: raw.SMTP_URL,
    emailFrom: raw.EMAIL_FROM,
    emailTemplatesDir: raw.EMAIL_TEMPLATES_DIR ? path.resolve(raw.EMAIL_TEMPLATES_DIR) : undefined,
    appName: raw.APP_NAME,
    eventWebhookSecret,
    defaultRole: raw.DEFAULT_ROLE,
    roles,
    admin:
      raw.ADMIN_USERNAME && raw.ADMIN_EMAIL && raw.ADMIN_PASSWORD
        ? { username: raw.ADMIN_USERNAME, email: raw.ADMIN_EMAIL, password: raw.ADMIN_PASSWORD, role: raw.ADMIN_ROLE }
        : undefined,
    logLevel: raw.LOG_LEVEL,
    playground: raw.PLAYGROUND ?? !production,
    shutdownTimeout: raw.SHUTDOWN_TIMEOUT,
    trustProxy: raw.TRUST_PROXY,
    // No cross-origin browser access unless asked for, except from local front ends in development.
    corsOrigins: raw.CORS_ORIGINS ?? (raw.NODE_ENV === 'development' ? LOCAL_ORIGINS : []),
    rateLimits: {
      login: raw.RATE_LIMIT_LOGIN ?? undefined,
      loginPerClient: raw.RATE_LIMIT_LOGIN_PER_CLIENT ?? undefined,
      registerPerClient: raw.RATE_LIMIT_REGISTER_PER_CLIENT ?? undefined,
      resetRequest: raw.RATE_LIMIT_RESET_REQUEST ?? undefined,
      resetRequestPerClient: raw.RATE_LIMIT_RESET_REQUEST_PER_CLIENT ?? undefined,
      resetAttempt: raw.RATE_LIMIT_RESET_ATTEMPT ?? undefined,
    },
    metricsToken: raw.METRICS_TOKEN,
    publicUrl: (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, ''),
    signInProviders: {
      providers: providers.providers,
      allowedRedirectUrls: raw.ALLOWED_REDIRECT_URLS,
      timeout: raw.PROVIDER_TIMEOUT,
    },
  };
}

/**
 * Development only: a random secret kept in `<dataDir>/<name>` (mode 0600) so that tokens and
 * webhook configuration survive restarts without any setup.
 */
function developmentSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}

function readEnvFile(envFile: string | false | undefined): Record<string, string> {
  if (envFile === false) return {};
  const file = envFile ?? path.resolve('.env');
  return existsSync(file) ? parseDotenv(readFileSync(file)) : {};
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

function describeIssue(issue: z.core.$ZodIssue | undefined, value: string | undefined): string {
  const message = issue?.message ?? 'is invalid';
  // Never echo secrets back into a log line.
  const secret = /SECRET|PASSWORD|KEY|URL|^METRICS_TOKEN$|^OIDC_PROVIDERS$/.test(String(issue?.path[0] ?? ''));
  const shown = value === undefined || secret || message.includes('(got') ? '' : ` (got "${value}")`;
  return `${message.replace(/^Invalid input: /, '')}${shown}`;
}
