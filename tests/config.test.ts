import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseDuration } from '../src/config';

const KEY = 'k'.repeat(32);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'auth-config-'));
const load = (env: Record<string, string>) => loadConfig({ env: { DATA_DIR: tmp(), ...env }, envFile: false });
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
      port: 4000,
      databaseUrl: undefined,
      accessTokenTtl: 900,
      refreshTokenTtl: 7 * 86400,
      refreshTokenRotation: false,
      refreshTokenReuseGrace: 10,
      bcryptRounds: 12,
      passwordMinLength: 8,
      passwordResetTtl: 3600,
      defaultRole: 'user',
      roles: ['user', 'manager'],
      playground: true,
      migrateOnStart: true,
    });
    expect(config.jwt.algorithm).toBe('HS256');
    expect(config.jwt.claimsNamespace).toBe('https://hasura.io/jwt/claims');
  });

  it('keeps a generated development key under the data directory, so tokens survive restarts', () => {
    const dir = tmp();
    const first = loadConfig({ env: { DATA_DIR: dir }, envFile: false });
    const second = loadConfig({ env: { DATA_DIR: dir }, envFile: false });
    expect(first.jwt.key.export().equals(second.jwt.key.export())).toBe(true);
    const file = path.join(dir, 'jwt-key');
    expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('reads .env under the real environment', () => {
    const dir = tmp();
    const envFile = path.join(dir, '.env');
    writeFileSync(envFile, 'PORT=5000\nDEFAULT_ROLE=member\n');
    const config = loadConfig({ env: { DATA_DIR: dir, PORT: '6000' }, envFile });
    expect(config.port).toBe(6000);
    expect(config.defaultRole).toBe('member');
    expect(config.roles).toContain('member');
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
    [{ NODE_ENV: 'production', EVENT_WEBHOOK_SECRET: 'w'.repeat(32) }, 'HASURA_GRAPHQL_JWT_SECRET'],
    [{ NODE_ENV: 'production', HASURA_GRAPHQL_JWT_SECRET: `{"type":"HS256","key":"${KEY}"}` }, 'EVENT_WEBHOOK_SECRET'],
    [{ NODE_ENV: 'production', HASURA_GRAPHQL_JWT_SECRET: `{"type":"HS256","key":"${KEY}"}`, EVENT_WEBHOOK_SECRET: 'short' }, 'EVENT_WEBHOOK_SECRET'],
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
    });
    expect(config.playground).toBe(false);
    expect(config.jwt).toMatchObject({ algorithm: 'HS512', claimsFormat: 'stringified_json', issuer: 'me' });
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
