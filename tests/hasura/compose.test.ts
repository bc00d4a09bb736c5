// docker-compose.yml and .env.example, checked without Docker: the file is valid compose, the stack
// starts in the right order, `cp .env.example .env` gives the service a configuration it accepts
// in production, and the service and Hasura share the JWT and webhook secrets and agree on every
// URL and variable the Hasura metadata names.
import path from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { CONFIG_VARIABLES, loadConfig, type Config } from '../../src/config';
import { composeSchemaErrors, dependencies, interpolate, loadCompose, readEnvFile, serviceEnvironment, type ComposeFile } from '../support/compose';
import { parseDockerfile } from '../support/dockerfile';
import { allTables, loadHasuraMetadata } from '../support/hasura-metadata';

const ROOT = path.resolve(__dirname, '../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const ENV_EXAMPLE = path.join(ROOT, '.env.example');
/** `cp .env.example .env`: compose's .env and the auth service's env_file. */
const dotenv = readEnvFile(ENV_EXAMPLE);
const { raw, compose } = loadCompose(COMPOSE_FILE, dotenv);

/** The configuration an operator of the compose setup may need (README, Configuration). */
const OPERATOR_VARIABLES = [
  'PORT', 'DATABASE_URL', 'HASURA_GRAPHQL_JWT_SECRET', 'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'REFRESH_TOKEN_ROTATION',
  'BCRYPT_ROUNDS', 'PASSWORD_MIN_LENGTH', 'PASSWORD_RESET_TTL', 'PASSWORD_RESET_URL', 'SMTP_URL', 'EMAIL_FROM',
  'EVENT_WEBHOOK_SECRET', 'DEFAULT_ROLE', 'ROLES', 'ADMIN_USERNAME', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'ADMIN_ROLE',
  'LOG_LEVEL', 'PLAYGROUND', 'MIGRATE_ON_START',
];

/** A throw-away DATA_DIR: nothing should be written there, but a wrong guess must not write elsewhere. */
const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'auth-compose-'));

function service(name: string) {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The auth container's environment: the image's ENV, then env_file (.env), then `environment`. */
function authEnvironment(): Record<string, string> {
  const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = dockerfile.stages[dockerfile.stages.length - 1]!;
  const imageEnv: Record<string, string> = {};
  for (const i of runtime.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) imageEnv[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return { ...imageEnv, ...serviceEnvironment(service('auth'), ROOT, { '.env': ENV_EXAMPLE }) };
}

function authConfig(): Config {
  // envFile: false — inside the container there is no .env file; env_file already supplied it.
  return loadConfig({ env: { ...authEnvironment(), DATA_DIR: scratch() }, envFile: false });
}

describe('docker-compose.yml', () => {
  it('is valid against the compose-spec JSON schema, before and after interpolation', () => {
    expect(composeSchemaErrors(raw)).toEqual([]);
    expect(composeSchemaErrors(compose)).toEqual([]);
  });

  it('the schema check catches mistakes (it is not vacuous)', () => {
    const broken = JSON.parse(JSON.stringify(compose)) as ComposeFile & { services: Record<string, Record<string, unknown>> };
    broken.services.hasura!.depends_on = { auth: { condition: 'healthy' } };
    broken.services.auth!.helthcheck = {};
    expect(composeSchemaErrors(broken).length).toBeGreaterThanOrEqual(2);
  });

  it('needs every required variable from .env, and .env.example provides them', () => {
    expect(() => loadCompose(COMPOSE_FILE, {})).toThrow(/required variable/);
    expect(() => loadCompose(COMPOSE_FILE, dotenv)).not.toThrow();
    expect(interpolate('$${A} ${A:-x} ${B:-y} ${B-z}', { A: 'a', B: '' })).toBe('${A} a y ');
  });

  it('runs postgres, auth, hasura and mailpit', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['auth', 'hasura', 'mailpit', 'postgres']);
    expect(service('mailpit').image).toMatch(/^axllent\/mailpit:v\d+\.\d+/);
    expect(service('postgres').image).toMatch(/^postgres:\d+/);
  });

  it('starts in order: postgres healthy, then auth healthy (migrated), then hasura', () => {
    expect(service('postgres').healthcheck?.test).toEqual(expect.arrayContaining([expect.stringContaining('pg_isready')]));
    expect(dependencies(service('auth'))).toMatchObject({ postgres: 'service_healthy' });
    expect(dependencies(service('hasura'))).toMatchObject({ auth: 'service_healthy', postgres: 'service_healthy' });
    const healthcheck = service('auth').healthcheck?.test;
    expect(Array.isArray(healthcheck) ? healthcheck.join(' ') : healthcheck).toContain(`127.0.0.1:${authConfig().http.port}/readyz`);
  });

  it('builds the auth service from the Dockerfile and gives it .env', () => {
    expect(service('auth').build).toBe('.');
    expect(service('auth').env_file).toBe('.env');
  });

  it('runs Hasura v2.48 with cli-migrations-v3 and this repository’s metadata, and no Hasura migrations', () => {
    const hasura = service('hasura');
    expect(hasura.image).toMatch(/^hasura\/graphql-engine:v2\.48\.\d+\.cli-migrations-v3$/);
    expect(hasura.volumes).toEqual(['./hasura/metadata:/hasura-metadata:ro']);
  });
});

describe('the auth service in the stack', () => {
  it('accepts its configuration in production: every required variable is set and strong enough', () => {
    const config = authConfig();
    expect(config.environment).toBe('production');
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.http.port).toBe(4000);
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.http.playground).toBe(false);
  });

  it('uses the stack’s PostgreSQL and mail catcher, by service name', () => {
    const config = authConfig();
    const database = new URL(config.database.url ?? '');
    expect(database.hostname).toBe('postgres');
    expect(database.pathname).toBe(`/${String((service('postgres').environment as Record<string, string>).POSTGRES_DB)}`);
    expect(decodeURIComponent(database.password)).toBe(dotenv.POSTGRES_PASSWORD);
    // Put in the URLs unescaped by compose: only URL-safe characters survive that.
    expect(dotenv.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9_-]+$/);
    const smtp = new URL(config.email.smtpUrl ?? '');
    expect(smtp.hostname).toBe('mailpit');
    expect(Object.keys(compose.services)).toContain(smtp.hostname);
  });
});

describe('Hasura in the stack', () => {
  const hasura = () => serviceEnvironment(service('hasura'), ROOT);

  it('shares the JWT secret and the webhook secret with the service, from the one .env', () => {
    const auth = authEnvironment();
    expect(hasura().HASURA_GRAPHQL_JWT_SECRET).toBe(auth.HASURA_GRAPHQL_JWT_SECRET);
    expect(hasura().EVENT_WEBHOOK_SECRET).toBe(auth.EVENT_WEBHOOK_SECRET);
    expect(hasura().HASURA_GRAPHQL_JWT_SECRET).toBe(dotenv.HASURA_GRAPHQL_JWT_SECRET);
  });

  it('verifies tokens through the service JWK set (jwk_url): Hasura holds no signing key', () => {
    const secret = JSON.parse(hasura().HASURA_GRAPHQL_JWT_SECRET ?? '{}') as Record<string, unknown>;
    expect(secret).not.toHaveProperty('key');
    const url = new URL(String(secret.jwk_url));
    expect(url.origin).toBe(new URL(hasura().AUTH_SERVICE_URL ?? '').origin);
    expect(url.pathname).toBe('/.well-known/jwks.json');
    expect(authConfig().tokens.jwt.mode).toBe('jwk_url');
  });

  it('runs unauthenticated requests as public, with remote schema permissions on and an admin secret', () => {
    expect(hasura()).toMatchObject({ HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'public', HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS: 'true' });
    expect(hasura().HASURA_GRAPHQL_ADMIN_SECRET?.length).toBeGreaterThanOrEqual(16);
    expect(hasura().HASURA_GRAPHQL_METADATA_DATABASE_URL).toMatch(/^postgres(ql)?:\/\/.+@postgres:5432\//);
  });

  it('reaches the service at AUTH_SERVICE_URL: its compose name and the port it listens on', () => {
    const url = new URL(hasura().AUTH_SERVICE_URL ?? '');
    expect(url.hostname).toBe('auth');
    expect(Number(url.port)).toBe(authConfig().http.port);
  });

  it('has every variable the metadata names: URL templates, value_from_env, from_env', () => {
    const metadata = loadHasuraMetadata();
    const templates = [
      ...metadata.remoteSchemas.map((s) => s.definition.url ?? ''),
      ...allTables(metadata).flatMap((t) => (t.event_triggers ?? []).map((e) => e.webhook ?? '')),
    ].flatMap((url) => [...url.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!));
    const fromEnv = [
      ...metadata.remoteSchemas.flatMap((s) => (s.definition.headers ?? []).flatMap((h) => ('value_from_env' in h ? [h.value_from_env] : []))),
      ...allTables(metadata).flatMap((t) => (t.event_triggers ?? []).flatMap((e) => (e.headers ?? []).flatMap((h) => ('value_from_env' in h ? [h.value_from_env] : [])))),
      ...metadata.sources.flatMap((s) => {
        const url = s.configuration.connection_info.database_url;
        return typeof url === 'string' ? [] : [url.from_env];
      }),
    ];
    const names = [...new Set([...templates, ...fromEnv])];
    expect(names.sort()).toEqual(['AUTH_SERVICE_URL', 'EVENT_WEBHOOK_SECRET', 'PG_DATABASE_URL']);
    for (const name of names) expect({ name, set: Boolean(hasura()[name]) }).toEqual({ name, set: true });
  });

  it('tracks the very database the service migrates', () => {
    const source = new URL(hasura().PG_DATABASE_URL ?? '');
    const database = new URL(authConfig().database.url ?? '');
    expect([source.hostname, source.port, source.pathname]).toEqual([database.hostname, database.port, database.pathname]);
  });
});

describe('.env.example', () => {
  const text = readFileSync(ENV_EXAMPLE, 'utf8');
  const mentioned = (name: string) => new RegExp(`^#?\\s*${name}=`, 'm').test(text);

  it('lists every variable an operator may need, set or commented with its default', () => {
    expect(OPERATOR_VARIABLES.filter((name) => !mentioned(name))).toEqual([]);
  });

  it('lists every variable the service reads', () => {
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(20);
    expect(CONFIG_VARIABLES.filter((name) => !mentioned(name))).toEqual([]);
  });

  it('is read the same way by compose and dotenv: plain KEY=value lines, JSON single-quoted', () => {
    for (const line of text.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) {
      expect(line).toMatch(/^[A-Z][A-Z0-9_]*=('[^']*'|[^'"\s#$][^#$]*[^\s#$]|[^'"\s#$])$/);
    }
  });

  it('works for `npm start` as it is: development, embedded database, emails to the log', () => {
    const config = loadConfig({ env: { ...dotenv, DATA_DIR: scratch() }, envFile: false });
    expect(config.environment).toBe('development');
    expect(config.database.url).toBeUndefined();
    expect(config.email.smtpUrl).toBeUndefined();
  });
});
