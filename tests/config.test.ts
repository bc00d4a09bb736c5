import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseDuration, type Config } from '../src/config';
import { ensureDevelopmentSecrets } from '../src/development-secrets';

const KEY = 'k'.repeat(32);
const SECRETS = { HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: KEY }), EVENT_WEBHOOK_SECRET: 'w'.repeat(32), AUTH_SECRET: 'a'.repeat(32) };
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'auth-config-'));
/** As `npm start` loads it: development secrets made first, under a fresh data directory. */
const load = (variables: Record<string, string>) => {
  const env = { DATA_DIR: tmp(), ...variables };
  return loadConfig({ env: { ...env, ...ensureDevelopmentSecrets(env) }, envFile: false });
};
const failure = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('has working defaults for development', () => {
    const config = load({});
    expect(config).toMatchObject({
      environment: 'development',
      http: { port: 4000, playground: true },
      database: { url: undefined, migrateOnStart: true },
      tokens: { accessTtl: 900, refreshTtl: 7 * 86400, refreshRotation: false, refreshReuseGrace: 10 },
      passwords: { bcryptRounds: 12, minLength: 8, resetTtl: 3600 },
      roles: { default: 'user', all: ['user', 'manager'] },
    });
    expect(config.tokens.jwt).toMatchObject({ mode: 'hmac', algorithm: 'HS256' });
    expect(config.tokens.jwt.claimsNamespace).toBe('https://hasura.io/jwt/claims');
  });

  it('keeps generated development secrets under the data directory, so tokens and emailed links survive restarts', () => {
    const dir = tmp();
    const first = load({ DATA_DIR: dir });
    const second = load({ DATA_DIR: dir });
    expect(hmacKey(first).equals(hmacKey(second))).toBe(true);
    expect(second.events.webhookSecret).toBe(first.events.webhookSecret);
    expect(first.keys.authSecret.length).toBeGreaterThanOrEqual(32);
    expect(second.keys.authSecret).toBe(first.keys.authSecret);
    for (const name of ['jwt-key', 'webhook-secret', 'auth-secret']) {
      const file = path.join(dir, name);
      expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
      expect(statSync(file).mode & 0o077).toBe(0);
    }
  });

  it('writes nothing while loading: without the development step a missing secret is an error', () => {
    const dir = tmp();
    expect(() => loadConfig({ env: { DATA_DIR: dir }, envFile: false })).toThrow(/AUTH_SECRET is required/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('makes no development secret in production, where they must be given', () => {
    const dir = tmp();
    expect(ensureDevelopmentSecrets({ NODE_ENV: 'production', DATA_DIR: dir })).toEqual({});
    expect(ensureDevelopmentSecrets({ DATA_DIR: dir, ...SECRETS })).toEqual({});
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads .env under the real environment', () => {
    const dir = tmp();
    const envFile = path.join(dir, '.env');
    writeFileSync(envFile, 'PORT=5000\nDEFAULT_ROLE=member\n');
    const config = loadConfig({ env: { DATA_DIR: dir, PORT: '6000', ...SECRETS }, envFile });
    expect(config.http.port).toBe(6000);
    expect(config.roles.default).toBe('member');
    expect(config.roles.all).toContain('member');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL'],
    [{ REFRESH_TOKEN_ROTATION: 'maybe' }, 'REFRESH_TOKEN_ROTATION'],
    [{ BCRYPT_ROUNDS: '8' }, 'BCRYPT_ROUNDS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
    [{ HASURA_GRAPHQL_JWT_SECRET: '{"type":"HS256","key":"short"}' }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ HASURA_GRAPHQL_JWT_SECRET: 'not json' }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ HASURA_GRAPHQL_JWT_SECRET: `{"type":"RS256","key":"${KEY}"}` }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ HASURA_GRAPHQL_JWT_SECRET: `{"type":"HS256","key":"${KEY}","claims_format":"xml"}` }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ ADMIN_USERNAME: 'root' }, 'ADMIN_EMAIL'],
    [{ NODE_ENV: 'production', EVENT_WEBHOOK_SECRET: 'w'.repeat(32), AUTH_SECRET: 'a'.repeat(32) }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ NODE_ENV: 'production', HASURA_GRAPHQL_JWT_SECRET: `{"type":"HS256","key":"${KEY}"}`, AUTH_SECRET: 'a'.repeat(32) }, 'EVENT_WEBHOOK_SECRET'],
    [{ NODE_ENV: 'production', HASURA_GRAPHQL_JWT_SECRET: `{"type":"HS256","key":"${KEY}"}`, EVENT_WEBHOOK_SECRET: 'short', AUTH_SECRET: 'a'.repeat(32) }, 'EVENT_WEBHOOK_SECRET'],
    [{ NODE_ENV: 'production', HASURA_GRAPHQL_JWT_SECRET: `{"type":"HS256","key":"${KEY}"}`, EVENT_WEBHOOK_SECRET: 'w'.repeat(32) }, 'AUTH_SECRET'],
    [{ AUTH_SECRET: 'too short a secret' }, 'AUTH_SECRET'],
  ])('refuses %j with one line naming %s', (env, variable) => {
    const message = failure(env);
    expect(message).toContain(variable);
    expect(message).not.toContain('\n');
  });

  it('never echoes a secret value in its error', () => {
    const message = failure({ HASURA_GRAPHQL_JWT_SECRET: '{"type":"HS256","key":"tooshort-secret"}' });
    expect(message).not.toContain('tooshort-secret');
  });

  it('accepts a production configuration with strong secrets', () => {
    const config = load({
      NODE_ENV: 'production',
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS512', key: KEY, claims_format: 'stringified_json', issuer: 'me' }),
      EVENT_WEBHOOK_SECRET: 'w'.repeat(32),
      AUTH_SECRET: 'a'.repeat(32),
    });
    expect(config.http.playground).toBe(false);
    expect(config.tokens.jwt).toMatchObject({ algorithm: 'HS512', claimsFormat: 'stringified_json', issuer: 'me' });
  });

  it('parses durations', () => {
    expect(parseDuration('900')).toBe(900);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('7d')).toBe(604800);
    expect(parseDuration('1.5h')).toBeUndefined();
    expect(parseDuration('-1')).toBeUndefined();
  });
});

describe('operations settings', () => {
  const PRODUCTION = {
    NODE_ENV: 'production',
    HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: KEY }),
    EVENT_WEBHOOK_SECRET: 'w'.repeat(32),
    AUTH_SECRET: 'a'.repeat(32),
  };

  it('defaults: no trusted proxy, limits on, metrics open outside production, CORS for local front ends only in development', () => {
    const config = load({});
    expect(config.http.trustProxy).toBe(false);
    expect(config.http.metricsToken).toBeUndefined();
    expect(config.http.metricsEnabled).toBe(true);
    expect(load(PRODUCTION).http.metricsEnabled).toBe(false);
    expect(load({ ...PRODUCTION, METRICS_TOKEN: 'a-metrics-token-0123456789' }).http.metricsEnabled).toBe(true);
    expect(config.http.corsOrigins).toEqual(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']);
    expect(config.limits).toEqual({
      login: { points: 10, duration: 900 },
      loginPerClient: { points: 100, duration: 900 },
      register: { points: 60, duration: 600 },
      registerPerClient: { points: 20, duration: 3600 },
      resetRequest: { points: 3, duration: 3600 },
      resetRequestPerClient: { points: 20, duration: 3600 },
      resetAttempt: { points: 10, duration: 900 },
      emailPerDomain: { points: 200, duration: 3600 },
      maxKeys: 100_000,
      mfaAttempt: { points: 5, duration: 900 },
      signinEmail: { points: 5, duration: 3600 },
      signinEmailPerClient: { points: 20, duration: 3600 },
      anonymousPerClient: { points: 20, duration: 3600 },
    });
    expect(load(PRODUCTION).http.corsOrigins).toEqual([]);
    expect(load({ NODE_ENV: 'test' }).http.corsOrigins).toEqual([]);
  });

  it.each([
    ['false', false],
    ['true', true],
    ['0', 0],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7, fd00::/8, 172.16.0.0/255.240.0.0', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '172.16.0.0/255.240.0.0']],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(load({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
  });

  it('reads rate limits as count/duration, or off', () => {
    const config = load({ RATE_LIMIT_LOGIN: '5/1h', RATE_LIMIT_RESET_ATTEMPT: '20 / 90s', RATE_LIMIT_REGISTER_PER_CLIENT: 'off' });
    expect(config.limits.login).toEqual({ points: 5, duration: 3600 });
    expect(config.limits.resetAttempt).toEqual({ points: 20, duration: 90 });
    expect(config.limits.registerPerClient).toBeUndefined();
  });

  it('reads CORS origins', () => {
    expect(load({ CORS_ORIGINS: '*' }).http.corsOrigins).toBe('*');
    expect(load({ ...PRODUCTION, CORS_ORIGINS: 'https://app.example.com, https://Admin.Example.com/, http://localhost:*' }).http.corsOrigins).toEqual([
      'https://app.example.com',
      'https://admin.example.com',
      'http://localhost:*',
    ]);
  });

  it.each([
    [{ TRUST_PROXY: 'hasura' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ RATE_LIMIT_LOGIN: '10' }, 'RATE_LIMIT_LOGIN'],
    [{ RATE_LIMIT_LOGIN: '0/15m' }, 'RATE_LIMIT_LOGIN'],
    [{ RATE_LIMIT_RESET_REQUEST: '3/forever' }, 'RATE_LIMIT_RESET_REQUEST'],
    [{ CORS_ORIGINS: 'app.example.com' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, 'CORS_ORIGINS'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
  ])('refuses %j with one line naming %s', (env, variable) => {
    const message = failure(env);
    expect(message).toContain(variable);
    expect(message).not.toContain('\n');
  });

  it('never echoes the metrics token', () => {
    expect(failure({ METRICS_TOKEN: 'tiny-token' })).not.toContain('tiny-token');
  });
});

describe('passkey settings', () => {
  it('default to the service itself on localhost, named after the app', () => {
    expect(load({ PORT: '4100', APP_NAME: 'Acme' }).webauthn).toEqual({ rpId: 'localhost', rpName: 'Acme', origins: ['http://localhost:4100'] });
  });

  it('take the RP ID from the first origin unless it is given', () => {
    expect(load({ WEBAUTHN_ORIGINS: 'https://Example.com/, https://auth.example.com' }).webauthn).toMatchObject({
      rpId: 'example.com',
      origins: ['https://example.com', 'https://auth.example.com'],
    });
    expect(load({ WEBAUTHN_ORIGINS: 'https://app.example.com,https://auth.example.com', WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_RP_NAME: 'Example' }).webauthn).toEqual({
      rpId: 'example.com',
      rpName: 'Example',
      origins: ['https://app.example.com', 'https://auth.example.com'],
    });
  });

  it.each([
    [{ WEBAUTHN_ORIGINS: 'app.example.com' }, 'WEBAUTHN_ORIGINS'],
    [{ WEBAUTHN_ORIGINS: 'https://app.example.com/login' }, 'WEBAUTHN_ORIGINS'],
    [{ WEBAUTHN_RP_ID: 'https://example.com' }, 'WEBAUTHN_RP_ID'],
    [{ WEBAUTHN_ORIGINS: 'https://app.example.com', WEBAUTHN_RP_ID: 'other.com' }, 'WEBAUTHN_ORIGINS'],
  ])('refuse %j, naming %s', (env, variable) => {
    expect(() => load(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });
});

function hmacKey(config: Config): Buffer {
  if (config.tokens.jwt.mode !== 'hmac') throw new Error('expected an HMAC key');
  return config.tokens.jwt.key.export();
}

describe('key and claims settings', () => {
  const JWK_URL = '{"jwk_url":"http://auth:4000/.well-known/jwks.json"}';

  it('reads Hasura’s jwk_url form as the key-ring mode, with its defaults', () => {
    const config = load({ HASURA_GRAPHQL_JWT_SECRET: JWK_URL });
    expect(config.tokens.jwt).toMatchObject({ mode: 'jwk_url', jwkUrl: 'http://auth:4000/.well-known/jwks.json', claimsNamespace: 'https://hasura.io/jwt/claims' });
    expect(config.tokens.keyRing).toEqual({ algorithm: 'ES256', jwksMaxAge: 300, rotation: 30 * 86400, privateKeys: undefined });
    expect(config.tokens.claimsFunction).toBeUndefined();
    expect(load({ JWT_CLAIMS_FUNCTION: 'public.jwt_claims' }).tokens.claimsFunction).toBe('public.jwt_claims');
  });

  it.each([
    [{ JWT_CLAIMS_FUNCTION: 'jwt_claims(1); DROP TABLE users; --' }, 'JWT_CLAIMS_FUNCTION'],
    [{ JWT_CLAIMS_FUNCTION: '"quoted".name' }, 'JWT_CLAIMS_FUNCTION'],
    [{ HASURA_GRAPHQL_JWT_SECRET: JWK_URL, JWT_ALGORITHM: 'HS256' }, 'JWT_ALGORITHM'],
    [{ HASURA_GRAPHQL_JWT_SECRET: '{"jwk_url":"ftp://x/jwks.json"}' }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ HASURA_GRAPHQL_JWT_SECRET: `{"jwk_url":"http://a/jwks.json","key":"${KEY}"}` }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ HASURA_GRAPHQL_JWT_SECRET: JWK_URL, JWKS_MAX_AGE: '1h', JWT_KEY_ROTATION: '2h' }, 'JWT_KEY_ROTATION'],
    [{ JWT_PRIVATE_KEYS: '{"keys":[]}' }, 'JWT_PRIVATE_KEYS'],
    [{ HASURA_GRAPHQL_JWT_SECRET: JWK_URL, JWT_PRIVATE_KEYS: '{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}' }, 'JWT_PRIVATE_KEYS'],
  ])('refuses %j with one line naming %s', (env, variable) => {
    const message = failure(env);
    expect(message).toContain(variable);
    expect(message).not.toContain('\n');
  });

  it('never echoes a private key in its error', () => {
    const message = failure({ HASURA_GRAPHQL_JWT_SECRET: JWK_URL, JWT_PRIVATE_KEYS: '{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"bad","d":"SECRET-D-VALUE"}]}' });
    expect(message).toContain('JWT_PRIVATE_KEYS');
    expect(message).not.toContain('SECRET-D-VALUE');
  });
});

describe('account lifecycle settings', () => {
  it("default to optional verification, 24-hour links, English, and the service's own pages", () => {
    const config = load({ PORT: '4100' });
    expect(config.lifecycle).toEqual({
      emailVerification: 'optional',
      emailVerifyUrl: 'http://localhost:4100/verify-email',
      emailVerifyTtl: 24 * 3600,
      defaultLocale: 'en',
    });
    expect(config.passwords.resetUrl).toBe('http://localhost:4100/reset-password');
  });

  it('build the default pages from PUBLIC_URL, and take an app’s own pages when given', () => {
    expect(load({ PUBLIC_URL: 'https://auth.example.com/' }).passwords.resetUrl).toBe('https://auth.example.com/reset-password');
    const own = load({ PASSWORD_RESET_URL: 'https://app.example.com/reset', EMAIL_VERIFY_URL: 'https://app.example.com/verify' });
    expect(own.passwords.resetUrl).toBe('https://app.example.com/reset');
    expect(own.lifecycle.emailVerifyUrl).toBe('https://app.example.com/verify');
  });

  it('refuse an unknown mode or language, naming the variable', () => {
    expect(failure({ EMAIL_VERIFICATION: 'sometimes' })).toContain('EMAIL_VERIFICATION');
    expect(failure({ DEFAULT_LOCALE: 'pt' })).toContain('DEFAULT_LOCALE');
    expect(load({ EMAIL_VERIFICATION: 'required', DEFAULT_LOCALE: 'de', EMAIL_VERIFY_TTL: '2h' }).lifecycle).toMatchObject({
      emailVerification: 'required',
      defaultLocale: 'de',
      emailVerifyTtl: 7200,
    });
  });
});
