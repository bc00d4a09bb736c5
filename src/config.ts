// The one place that reads the environment. Everything else receives a typed, validated `Config`.
// A bad value stops start-up with one line naming the variable (`ConfigError`). Loading writes
// nothing: development secrets are made beforehand by ensureDevelopmentSecrets.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { parseJwtSecret, type JwtConfig } from './auth/jwt-config';
import { username as usernameRule } from './auth/usernames';
import { MIN_AUTH_SECRET_LENGTH } from './keys/derived-keys';
import { parsePrivateJwks, type PrivateJwk } from './keys/private-jwks';
import { LOCALES } from './locales';
import { oidcProvidersSchema, providerSettings, redirectUrlsSchema, type BuiltInProviderVariables } from './providers/provider-config';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

export type TrustProxy = boolean | number | string[];

/** `points` events per `duration` seconds; `undefined` = no limit. */
export interface RateLimit {
  points: number;
  duration: number;
}

/** Where the embedded database and the development secrets live. */
export const DEFAULT_DATA_DIR = '.data';

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

/** A proxy address, subnet (10.0.0.0/8) or one of proxy-addr's names (loopback, linklocal, uniquelocal). */
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

/** The environment variables, checked one by one. */
const variables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: integer(1, 200).default(10),
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
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
  PASSWORD_RESET_URL: z.url({ protocol: /^https?$/ }).optional(),
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
  ADMIN_USERNAME: z.string().trim().pipe(usernameRule).optional(),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(1).optional(),
  ADMIN_ROLE: roleName.default('manager'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PLAYGROUND: boolean.optional(),
  SHUTDOWN_TIMEOUT: duration(0).default(10),
  SHUTDOWN_DELAY: duration(0).optional(),
  TRUST_PROXY: trustProxy.default(false),
  CORS_ORIGINS: corsOrigins.optional(),
  RATE_LIMIT_LOGIN: rateLimit.default({ points: 10, duration: 15 * 60 }),
  RATE_LIMIT_LOGIN_PER_CLIENT: rateLimit.default({ points: 100, duration: 15 * 60 }),
  RATE_LIMIT_REGISTER: rateLimit.default({ points: 60, duration: 10 * 60 }),
  RATE_LIMIT_REGISTER_PER_CLIENT: rateLimit.default({ points: 20, duration: 3600 }),
  RATE_LIMIT_RESET_REQUEST: rateLimit.default({ points: 3, duration: 3600 }),
  RATE_LIMIT_RESET_REQUEST_PER_CLIENT: rateLimit.default({ points: 20, duration: 3600 }),
  RATE_LIMIT_RESET_ATTEMPT: rateLimit.default({ points: 10, duration: 15 * 60 }),
  RATE_LIMIT_EMAIL_PER_DOMAIN: rateLimit.default({ points: 200, duration: 3600 }),
  RATE_LIMIT_MAX_KEYS: integer(10, 100_000_000).default(100_000),
  RATE_LIMIT_MFA_ATTEMPT: rateLimit.default({ points: 5, duration: 15 * 60 }),
  WEBAUTHN_RP_ID: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a domain name like example.com (no scheme, no port)')
    .optional(),
  WEBAUTHN_RP_NAME: z.string().trim().min(1).max(100).optional(),
  WEBAUTHN_ORIGINS: z
    .string()
    .trim()
    .transform((v, ctx) => {
      const origins = v.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
      const bad = origins.find((o) => !URL.canParse(o) || new URL(o).origin !== o.toLowerCase());
      if (!origins.length || bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `must be a comma list of origins like https://app.example.com (got "${bad ?? v}")` });
        return z.NEVER;
      }
      return origins.map((o) => o.toLowerCase());
    })
    .optional(),
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
  SIGNIN_EMAIL_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000/signin-email'),
  PASSWORDLESS_SIGNUP: boolean.default(false),
  RATE_LIMIT_SIGNIN_EMAIL: rateLimit.default({ points: 5, duration: 3600 }),
  RATE_LIMIT_SIGNIN_EMAIL_PER_CLIENT: rateLimit.default({ points: 20, duration: 3600 }),
  ANONYMOUS_USERS: boolean.default(false),
  ANONYMOUS_ROLE: roleName.default('anonymous'),
  ANONYMOUS_USER_TTL: duration(3600).default(30 * 86400),
  RATE_LIMIT_ANONYMOUS_PER_CLIENT: rateLimit.default({ points: 20, duration: 3600 }),
  JWT_ALGORITHM: z.enum(['EdDSA', 'ES256', 'RS256'], { error: 'must be EdDSA, ES256 or RS256' }).default('ES256'),
  JWKS_MAX_AGE: duration(1).default(300),
  JWT_KEY_ROTATION: duration(60).default(30 * 86400),
  JWT_PRIVATE_KEYS: z.string().min(1).optional(),
  // Interpolated into SQL, so only a plain (optionally schema-qualified) identifier gets through.
  JWT_CLAIMS_FUNCTION: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/, 'must be a function name like public.jwt_claims')
    .optional(),
  EMAIL_VERIFICATION: z.enum(['off', 'optional', 'required']).default('optional'),
  EMAIL_VERIFY_URL: z.url({ protocol: /^https?$/ }).optional(),
  EMAIL_VERIFY_TTL: duration(60).default(24 * 3600),
  DEFAULT_LOCALE: z.enum(LOCALES).default('en'),
});

type Variables = z.infer<typeof variables>;

/** Every environment variable the service reads. */
export const CONFIG_VARIABLES = Object.keys(variables.shape) as ReadonlyArray<keyof Variables>;

/**
 * The configuration, grouped by the part of the service that uses it. Rules that involve several
 * variables are checked here; each failure names the variable to fix.
 */
const schema = variables.transform((env, ctx) => {
  const refuse = (variable: keyof Variables, message: string): never => {
    ctx.addIssue({ code: 'custom', path: [variable], message });
    return z.NEVER;
  };
  const production = env.NODE_ENV === 'production';

  if (env.BCRYPT_ROUNDS < 10 && env.NODE_ENV !== 'test') return refuse('BCRYPT_ROUNDS', 'must be at least 10 outside tests');

  // Development secrets are made by ensureDevelopmentSecrets (src/development-secrets.ts) before
  // this runs; a missing one here means nobody made it.
  if (!env.AUTH_SECRET) return refuse('AUTH_SECRET', 'is required');
  if (env.AUTH_SECRET.length < MIN_AUTH_SECRET_LENGTH) return refuse('AUTH_SECRET', `must be at least ${MIN_AUTH_SECRET_LENGTH} characters`);

  if (!env.HASURA_GRAPHQL_JWT_SECRET) return refuse('HASURA_GRAPHQL_JWT_SECRET', 'is required');
  let jwt: JwtConfig;
  try {
    jwt = parseJwtSecret(env.HASURA_GRAPHQL_JWT_SECRET);
  } catch (error) {
    return refuse('HASURA_GRAPHQL_JWT_SECRET', (error as Error).message);
  }

  let privateKeys: PrivateJwk[] | undefined;
  if (env.JWT_PRIVATE_KEYS !== undefined) {
    if (jwt.mode !== 'jwk_url') return refuse('JWT_PRIVATE_KEYS', 'needs HASURA_GRAPHQL_JWT_SECRET in the {"jwk_url":"…"} form');
    try {
      privateKeys = parsePrivateJwks(env.JWT_PRIVATE_KEYS);
    } catch (error) {
      return refuse('JWT_PRIVATE_KEYS', (error as Error).message);
    }
  }
  // A key must outlive its last token's publication: rotating faster than tokens live and Hasura
  // caches would retire keys that still sign.
  if (jwt.mode === 'jwk_url' && env.JWT_KEY_ROTATION <= 3 * env.JWKS_MAX_AGE + env.ACCESS_TOKEN_TTL) {
    return refuse('JWT_KEY_ROTATION', 'must be longer than 3 × JWKS_MAX_AGE + ACCESS_TOKEN_TTL');
  }

  if (!env.EVENT_WEBHOOK_SECRET) return refuse('EVENT_WEBHOOK_SECRET', 'is required');
  if (production && env.EVENT_WEBHOOK_SECRET.length < 32) return refuse('EVENT_WEBHOOK_SECRET', 'must be at least 32 characters in production');

  const { ADMIN_USERNAME: username, ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = env;
  if ((username || email || password) && !(username && email && password)) {
    return refuse(!username ? 'ADMIN_USERNAME' : !email ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD', 'is required when any ADMIN_* variable is set');
  }

  const signInProviders = providerSettings(env satisfies BuiltInProviderVariables, env.OIDC_PROVIDERS);
  if ('variable' in signInProviders) return refuse(signInProviders.variable as keyof Variables, signInProviders.reason);
  // Passkeys work out of the box on http://localhost:<PORT> (browsers treat localhost as secure).
  // Elsewhere WEBAUTHN_ORIGINS names the pages; the RP ID defaults to the first one's host.
  const origins = env.WEBAUTHN_ORIGINS ?? [`http://localhost:${env.PORT}`];
  const rpId = env.WEBAUTHN_RP_ID ?? new URL(origins[0]!).hostname;
  const outside = origins.find((o) => new URL(o).hostname !== rpId && !new URL(o).hostname.endsWith(`.${rpId}`));
  // The browser refuses such a page anyway; better one clear line at start-up.
  if (outside) return refuse('WEBAUTHN_ORIGINS', `holds ${outside}, which is not on WEBAUTHN_RP_ID ${rpId} or a subdomain of it`);

  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');

  return {
    environment: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      port: env.PORT,
      host: env.HOST,
      /**
       * Which proxies' `X-Forwarded-For` to believe: `false` — the client's address is unknown
       * (behind Hasura every request comes from Hasura), so per-client limits are off; a hop count
       * (0: clients connect directly); `true` (the left-most address); or a list of trusted proxy
       * addresses and subnets.
       */
      trustProxy: env.TRUST_PROXY,
      /** Browser origins allowed to call `POST /graphql` cross-origin: `*`, or exact origins (`:*` = any port). */
      // No cross-origin browser access unless asked for, except from local front ends in development.
      corsOrigins: env.CORS_ORIGINS ?? (env.NODE_ENV === 'development' ? LOCAL_ORIGINS : []),
      playground: env.PLAYGROUND ?? !production,
      /** Seconds a stop waits for requests in flight. */
      shutdownTimeout: env.SHUTDOWN_TIMEOUT,
      /**
       * Seconds between a stop signal and closing the listener: readiness answers 503 and answers
       * carry `Connection: close` meanwhile, so load balancers and clients move away before the
       * port closes. Long enough for a readiness probe to notice in production; nothing to wait
       * for elsewhere.
       */
      shutdownDelay: env.SHUTDOWN_DELAY ?? (production ? 5 : 0),
      /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
      metricsToken: env.METRICS_TOKEN,
      /**
       * Whether `GET /metrics` exists: in production only with METRICS_TOKEN, since its counters
       * tell more than an outsider should know.
       */
      metricsEnabled: env.METRICS_TOKEN !== undefined || !production,
      /** Where browsers reach the service (no trailing slash): provider callbacks are built from it, never from request headers. */
      publicUrl,
    },
    database: {
      /** Unset: the embedded PGlite database under `dataDir`. */
      url: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
      dataDir: path.resolve(env.DATA_DIR),
      migrateOnStart: env.MIGRATE_ON_START,
    },
    keys: {
      /** The root of every derived key (reset and verification links, encrypted secrets). */
      authSecret: env.AUTH_SECRET,
    },
    /** Lifetimes in seconds. */
    tokens: {
      jwt,
      accessTtl: env.ACCESS_TOKEN_TTL,
      refreshTtl: env.REFRESH_TOKEN_TTL,
      refreshRotation: env.REFRESH_TOKEN_ROTATION,
      refreshReuseGrace: env.REFRESH_TOKEN_REUSE_GRACE,
      /** The `jwk_url` mode's signing keys (unused with an HS* key). */
      keyRing: {
        algorithm: env.JWT_ALGORITHM,
        /** Seconds Hasura may cache the JWK set: Cache-Control max-age of GET /.well-known/jwks.json. */
        jwksMaxAge: env.JWKS_MAX_AGE,
        /** Seconds a key signs before the next one takes over. */
        rotation: env.JWT_KEY_ROTATION,
        /** Keys from JWT_PRIVATE_KEYS instead of the database ring; the first signs. */
        privateKeys,
      },
      /** A PostgreSQL function (user_id integer) → jsonb whose keys become claims; a checked identifier. */
      claimsFunction: env.JWT_CLAIMS_FUNCTION,
    },
    passwords: {
      bcryptRounds: env.BCRYPT_ROUNDS,
      minLength: env.PASSWORD_MIN_LENGTH,
      /** Seconds a reset link works. */
      resetTtl: env.PASSWORD_RESET_TTL,
      /** The service's own page unless the app has one: a development log's links then work as they are. */
      resetUrl: env.PASSWORD_RESET_URL ?? `${publicUrl}/reset-password`,
    },
    email: {
      smtpUrl: env.SMTP_URL,
      from: env.EMAIL_FROM,
      templatesDir: env.EMAIL_TEMPLATES_DIR ? path.resolve(env.EMAIL_TEMPLATES_DIR) : undefined,
      appName: env.APP_NAME,
    },
    events: { webhookSecret: env.EVENT_WEBHOOK_SECRET },
    roles: {
      default: env.DEFAULT_ROLE,
      /** Created at start-up; always includes the default role. */
      all: env.ROLES.includes(env.DEFAULT_ROLE) ? env.ROLES : [env.DEFAULT_ROLE, ...env.ROLES],
    },
    admin: username && email && password ? { username, email, password, role: env.ADMIN_ROLE } : undefined,
    /** Sign in with a provider (OpenID Connect issuers, GitHub). */
    providers: {
      providers: signInProviders.providers,
      /** Where a sign-in may send the browser back to (parsed, exact-prefix match). */
      allowedRedirectUrls: env.ALLOWED_REDIRECT_URLS,
      /** Seconds a provider may take to answer one request. */
      timeout: env.PROVIDER_TIMEOUT,
    },
    /** `undefined`: no limit. The per-client ones apply only with TRUST_PROXY. */
    limits: {
      /** Password guesses per login text (username or email); a success clears them. */
      login: env.RATE_LIMIT_LOGIN ?? undefined,
      loginPerClient: env.RATE_LIMIT_LOGIN_PER_CLIENT ?? undefined,
      /** Registrations of everyone together: the limit that holds behind Hasura, where clients are unknown. */
      register: env.RATE_LIMIT_REGISTER ?? undefined,
      registerPerClient: env.RATE_LIMIT_REGISTER_PER_CLIENT ?? undefined,
      /** Reset requests per email; over it the request is silently dropped. */
      resetRequest: env.RATE_LIMIT_RESET_REQUEST ?? undefined,
      resetRequestPerClient: env.RATE_LIMIT_RESET_REQUEST_PER_CLIENT ?? undefined,
      /** Reset token checks (validate and confirm together) per email. */
      resetAttempt: env.RATE_LIMIT_RESET_ATTEMPT ?? undefined,
      /** Emails sent per recipient domain; over it an email is not sent. */
      emailPerDomain: env.RATE_LIMIT_EMAIL_PER_DOMAIN ?? undefined,
      /**
       * Live counters per limit (RATE_LIMIT_MAX_KEYS) from which the limit refuses identifiers it
       * has not counted yet: the cap on the rate_limits table.
       */
      maxKeys: env.RATE_LIMIT_MAX_KEYS,
      /** Second-factor codes (TOTP or recovery) checked per account; a right one clears them. */
      mfaAttempt: env.RATE_LIMIT_MFA_ATTEMPT ?? undefined,
      /** Sign-in emails asked for per address; over it the request is silently dropped. */
      signinEmail: env.RATE_LIMIT_SIGNIN_EMAIL ?? undefined,
      signinEmailPerClient: env.RATE_LIMIT_SIGNIN_EMAIL_PER_CLIENT ?? undefined,
      /** Anonymous sign-ins per client address (with TRUST_PROXY); they also count as registrations. */
      anonymousPerClient: env.RATE_LIMIT_ANONYMOUS_PER_CLIENT ?? undefined,
    },
    /** Passkeys: the relying party browsers see. */
    webauthn: {
      /** The domain passkeys are bound to: the pages' host or a parent domain of it. */
      rpId,
      /** Shown by the browser and the authenticator. */
      rpName: env.WEBAUTHN_RP_NAME ?? env.APP_NAME,
      /** Exact origins of the pages that run the ceremonies. */
      origins,
    },
    /** Sign-in by an emailed link or code. */
    passwordless: {
      /**
       * The app's page the link opens (`?token=…&email=…`); it sends both to
       * user_signin_email_confirm. The default follows PASSWORD_RESET_URL's: the app in development.
       */
      url: env.SIGNIN_EMAIL_URL,
      /** An unknown address gets an account when it confirms. */
      signup: env.PASSWORDLESS_SIGNUP,
    },
    /** Anonymous users: try before signing up. */
    anonymous: {
      enabled: env.ANONYMOUS_USERS,
      role: env.ANONYMOUS_ROLE,
      /** Seconds without a sign-in or a refresh after which an anonymous user is deleted. */
      ttl: env.ANONYMOUS_USER_TTL,
    },
    /** The account's life after sign-up: verification and change of the email address, languages. */
    lifecycle: {
      /** off: no verification; optional: verified addresses are marked (claim); required: no tokens before it. */
      emailVerification: env.EMAIL_VERIFICATION,
      /** The page a verification or email-change link opens; the service's own unless the app has one. */
      emailVerifyUrl: env.EMAIL_VERIFY_URL ?? `${publicUrl}/verify-email`,
      /** Seconds a verification or email-change link works. */
      emailVerifyTtl: env.EMAIL_VERIFY_TTL,
      /** The language of users who chose none, and of anything not translated. */
      defaultLocale: env.DEFAULT_LOCALE,
    },
  };
});

export type Config = z.infer<typeof schema>;
export type RateLimitConfig = Config['limits'];

export interface LoadConfigOptions {
  /** Variables; the process environment in production code, a plain object in tests. */
  env?: Record<string, string | undefined>;
  /** A `.env` file read under `env` (real variables win). Default: `.env` in the working directory. */
  envFile?: string | false;
}

/** The variables the service starts with: `.env` (when present) under the process environment. */
export function readEnvironment(options: LoadConfigOptions = {}): Record<string, string> {
  return { ...readEnvFile(options.envFile), ...definedOnly(options.env ?? process.env) };
}

/** Checks and groups the variables; writes nothing. Throws a `ConfigError` naming the first bad variable. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = readEnvironment(options);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(variable, describeIssue(issue, env[variable]));
  }
  return parsed.data;
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

export type WebAuthnConfig = Config['webauthn'];
