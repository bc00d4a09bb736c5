// Reads docker-compose.yml the way `docker compose` does, without Docker: the compose-spec JSON
// schema (bundled by the dclint package) for validation, `.env` for ${…} interpolation, and each
// service's effective environment (env_file first, then `environment`, which wins).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseDotenv } from 'dotenv';
import YAML from 'yaml';

export type ComposeFile = {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  env_file?: string | (string | { path: string; required?: boolean })[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean; restart?: boolean }>;
  healthcheck?: { test?: string | string[]; interval?: string; timeout?: string; retries?: number; start_period?: string; disable?: boolean };
  ports?: (string | number | Record<string, unknown>)[];
  expose?: (string | number)[];
  volumes?: (string | Record<string, unknown>)[];
  restart?: string;
}

/** Validates a compose document against the compose-spec schema; returns readable errors. */
export function composeSchemaErrors(document: unknown): string[] {
  const dclint = path.dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(readFileSync(path.join(dclint, 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  // The bundled schema names its meta-schema with https://, which Ajv registers as http://.
  const draft7 = JSON.parse(readFileSync(require.resolve('ajv/dist/refs/json-schema-draft-07.json'), 'utf8')) as Record<string, unknown>;
  if (typeof schema.$schema === 'string' && !ajv.getSchema(schema.$schema)) ajv.addMetaSchema({ ...draft7, $id: schema.$schema });
  const validate = ajv.compile(schema);
  return validate(document) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/**
 * Compose's interpolation: $$ (a literal $), $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
 * ${VAR:?error}, ${VAR?error}. Throws on a required variable that is missing.
 */
export function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const variable = (name ?? bare)!;
    const value = env[variable];
    const missing = value === undefined || (colon === ':' && value === '');
    if (op === '-') return missing ? arg! : value!;
    if (op === '?') {
      if (missing) throw new Error(`required variable ${variable} is missing a value: ${arg}`);
      return value!;
    }
    return value ?? '';
  });
}

/**
 * Parses docker-compose.yml, then interpolates its string values with `dotenv` (compose's .env),
 * as compose does: after parsing, so a value holding JSON stays one string.
 */
export function loadCompose(composeFile: string, dotenv: Record<string, string>): { raw: unknown; compose: ComposeFile } {
  const raw: unknown = YAML.parse(readFileSync(composeFile, 'utf8'));
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return interpolate(node, dotenv);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return { raw, compose: walk(raw) as ComposeFile };
}

export function readEnvFile(file: string): Record<string, string> {
  return parseDotenv(readFileSync(file));
}

function asRecord(environment: ComposeService['environment']): Record<string, string> {
  if (!environment) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((entry) => {
      const at = entry.indexOf('=');
      return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/**
 * A service's container environment as compose builds it: its env_file(s) (resolved from the
 * compose file's directory; `files` maps such paths to the file to read instead, e.g. .env to
 * .env.example), then `environment` over them. The image's own ENV is not included.
 */
export function serviceEnvironment(service: ComposeService, composeDir: string, files: Record<string, string> = {}): Record<string, string> {
  const envFiles = service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
  const fromFiles = envFiles.reduce<Record<string, string>>((env, entry) => {
    const file = typeof entry === 'string' ? entry : entry.path;
    return { ...env, ...readEnvFile(files[file] ?? path.resolve(composeDir, file)) };
  }, {});
  return { ...fromFiles, ...asRecord(service.environment) };
}

/** depends_on as { service: condition }. */
export function dependencies(service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition ?? 'service_started']));
}
