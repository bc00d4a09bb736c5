// What Hasura v2 sends to this service, built from its documented behaviour and source, so tests can stand in for a Hasura that cannot run here:
// - the introspection request it makes when the remote schema is added or reloaded;
// - how it turns a client request into a session (JWT mode, unauthorized role `public`);
// - the role's remote-schema permission, which it enforces before forwarding anything;
// - the headers it forwards: configured headers > session variables > client headers, the
//   client's x-hasura-* and a fixed list of hop-by-hop-ish headers dropped, Content-Type and
//   User-Agent replaced by its own;
// - the request an event trigger delivers.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildASTSchema, buildClientSchema, parse, validate, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import type { EventTrigger, HasuraHeader, QualifiedTable, RemoteSchemaMetadata } from './hasura-metadata';
import { hasuraVerify, type HasuraJwtSecret } from './hasura-jwt';

export const HASURA_VERSION = 'v2.48.5';
export const HASURA_USER_AGENT = `hasura-graphql-engine/${HASURA_VERSION}`;

/** The body Hasura POSTs to introspect a remote schema (tests/fixtures/hasura). */
export const INTROSPECTION_REQUEST_BODY = readFileSync(path.resolve(__dirname, '../fixtures/hasura/introspection-request-body.json'), 'utf8');

/**
 * Client headers Hasura never forwards (commonClientHeadersIgnored in graphql-engine), compared
 * case-insensitively. Host and User-Agent come back as X-Forwarded-Host / X-Forwarded-User-Agent.
 */
export const HEADERS_NOT_FORWARDED = [
  'content-length',
  'content-md5',
  'user-agent',
  'host',
  'origin',
  'referer',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-datetime',
  'cache-control',
  'connection',
  'dnt',
  'content-type',
];

export type Headers = Record<string, string>;

export interface HasuraSession {
  role: string;
  /** Session variables, lower-cased names, as Hasura forwards them (x-hasura-role included). */
  variables: Record<string, string>;
}

export interface GatewayOptions {
  jwtSecret: HasuraJwtSecret;
  /** HASURA_GRAPHQL_UNAUTHORIZED_ROLE. */
  unauthorizedRole: string;
  /** Environment for `{{VAR}}` templates and value_from_env headers. */
  env: Record<string, string>;
  /** HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS; default true. Off, every role sees everything. */
  remoteSchemaPermissions?: boolean;
  /** Hasura's clock, in seconds, for token expiry. */
  nowSeconds?: number;
}

function lower(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * The session Hasura builds in JWT mode. With an Authorization header the token must verify
 * (an invalid or expired one fails the request; there is no fallback to the unauthorized role),
 * session variables come from its claims only, and x-hasura-role may only pick an allowed role.
 * Without one the role is the unauthorized role and the session variables are the client's
 * own x-hasura-* headers — which is why the service must never trust them.
 */
export function hasuraSession(clientHeaders: Headers, options: Pick<GatewayOptions, 'jwtSecret' | 'unauthorizedRole'>, nowSeconds?: number): HasuraSession {
  const headers = lower(clientHeaders);
  const authorization = headers.authorization;
  if (authorization === undefined) {
    const variables = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-hasura-')));
    delete variables['x-hasura-admin-secret'];
    return { role: options.unauthorizedRole, variables: { ...variables, 'x-hasura-role': options.unauthorizedRole } };
  }
  const match = /^Bearer (.+)$/.exec(authorization);
  if (!match) throw new HasuraRequestError('invalid-headers', 'Malformed Authorization header');
  let session;
  try {
    session = hasuraVerify(match[1]!, options.jwtSecret, nowSeconds);
  } catch (error) {
    throw new HasuraRequestError('invalid-jwt', `Could not verify JWT: ${(error as Error).message}`);
  }
  const requested = headers['x-hasura-role'];
  const role = requested ?? session.defaultRole;
  if (!session.allowedRoles.includes(role)) {
    throw new HasuraRequestError('access-denied', 'Your requested role is not in allowed roles');
  }
  return { role, variables: { ...session.variables, 'x-hasura-role': role } };
}

export class HasuraRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HasuraRequestError';
  }
}

/** `{{VAR}}` templates, as Hasura expands them in URLs. */
export function expandTemplate(template: string, env: Record<string, string>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`environment variable ${name} is not set`);
    return value;
  });
}

function configuredHeaders(headers: HasuraHeader[] | undefined, env: Record<string, string>): Headers {
  const out: Headers = {};
  for (const header of headers ?? []) {
    const value = 'value' in header ? header.value : env[header.value_from_env];
    if (value === undefined) throw new Error(`environment variable for header ${header.name} is not set`);
    out[header.name.toLowerCase()] = value;
  }
  return out;
}

/** The headers of the request Hasura sends to the remote schema for one client request. */
export function remoteSchemaHeaders(remote: RemoteSchemaMetadata, session: HasuraSession, clientHeaders: Headers, env: Record<string, string>): Headers {
  const client = lower(clientHeaders);
  const forwarded: Headers = {};
  if (remote.definition.forward_client_headers) {
    if (client.host !== undefined) forwarded['x-forwarded-host'] = client.host;
    if (client['user-agent'] !== undefined) forwarded['x-forwarded-user-agent'] = client['user-agent'];
    for (const [name, value] of Object.entries(client)) {
      if (!HEADERS_NOT_FORWARDED.includes(name) && !name.startsWith('x-hasura-')) forwarded[name] = value;
    }
  }
  // Priority: configured headers > session variables > client headers; then Hasura's defaults.
  return {
    ...forwarded,
    ...session.variables,
    ...configuredHeaders(remote.definition.headers, env),
    'content-type': 'application/json',
    'user-agent': HASURA_USER_AGENT,
  };
}

export interface ClientRequest {
  headers: Headers;
  body: { query: string; variables?: Record<string, unknown>; operationName?: string };
}

export interface ForwardedResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  /** The headers the service received, as Hasura sent them. */
  sentHeaders: Headers;
}

/**
 * One client request through Hasura to the remote schema: session, the role's permission
 * (an operation outside it is refused by Hasura and never reaches the service), then the POST.
 */
export async function forwardThroughHasura(remote: RemoteSchemaMetadata, request: ClientRequest, options: GatewayOptions): Promise<ForwardedResponse> {
  // With jwk_url, Hasura's background refresh: the set is re-fetched only once its max-age is over.
  if ('jwk_url' in options.jwtSecret) await options.jwtSecret.keys.refreshIfDue();
  const session = hasuraSession(request.headers, options, options.nowSeconds);
  if (session.role !== 'admin' && options.remoteSchemaPermissions !== false) {
    const permission = remote.permissions?.find((p) => p.role === session.role);
    if (!permission) throw new HasuraRequestError('validation-failed', `no remote schema permission for role ${session.role}`);
    const errors = validate(roleSchema(permission.definition.schema), parse(request.body.query));
    if (errors.length) throw new HasuraRequestError('validation-failed', errors.map((e) => e.message).join('; '));
  }
  const sentHeaders = remoteSchemaHeaders(remote, session, request.headers, options.env);
  const url = expandTemplate(remote.definition.url ?? '', options.env);
  const response = await fetch(url, { method: 'POST', headers: sentHeaders, body: JSON.stringify(request.body) });
  return { status: response.status, body: (await response.json()) as ForwardedResponse['body'], sentHeaders };
}

/** The schema a role sees: its permission SDL (Hasura's @preset directive declared). */
export function roleSchema(sdl: string): GraphQLSchema {
  return buildASTSchema(parse(`scalar PresetValue\ndirective @preset(value: PresetValue, static: Boolean) on INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION\n${sdl}`));
}

/** Hasura's introspection of a remote schema: its own query, configured headers, no session. */
export async function introspectAsHasura(remote: RemoteSchemaMetadata, env: Record<string, string>): Promise<GraphQLSchema> {
  const url = expandTemplate(remote.definition.url ?? '', env);
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...configuredHeaders(remote.definition.headers, env), 'content-type': 'application/json', 'user-agent': HASURA_USER_AGENT },
    body: INTROSPECTION_REQUEST_BODY,
  });
  // Hasura ignores the status and reads the body.
  const body = (await response.json()) as { data?: IntrospectionQuery; errors?: unknown[] };
  if (!body.data || body.errors) throw new Error(`introspection failed: ${JSON.stringify(body.errors)}`);
  return buildClientSchema(body.data);
}

export interface EventDelivery {
  url: string;
  headers: Headers;
  body: {
    id: string;
    created_at: string;
    trigger: { name: string };
    table: QualifiedTable;
    event: { op: 'INSERT' | 'MANUAL'; data: { old: null; new: Record<string, unknown> }; session_variables: null; trace_context: null };
    delivery_info: { max_retries: number; current_retry: number };
  };
}

/**
 * The POST an event trigger makes for a row written outside Hasura (as this service writes
 * them: no session variables, no trace context). `row` must already be limited to the trigger's
 * payload columns, as Hasura's database trigger limits it.
 */
export function eventDelivery(trigger: EventTrigger, table: QualifiedTable, row: Record<string, unknown>, env: Record<string, string>): EventDelivery {
  return {
    url: expandTemplate(trigger.webhook ?? '', env),
    headers: { ...configuredHeaders(trigger.headers, env), 'content-type': 'application/json', 'user-agent': HASURA_USER_AGENT },
    body: {
      id: randomUUID(),
      created_at: new Date().toISOString(),
      trigger: { name: trigger.name },
      table,
      event: { op: 'INSERT', data: { old: null, new: row }, session_variables: null, trace_context: null },
      delivery_info: { max_retries: trigger.retry_conf.num_retries, current_retry: 0 },
    },
  };
}
