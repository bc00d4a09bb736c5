// Runs the real service (real database, real HTTP) for a test, and talks GraphQL to it.
import 'reflect-metadata';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { startService, type RunningService } from '../../src/service';
import type { Clock } from '../../src/clock';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { TestDatabase } from './database';

export const TEST_JWT_KEY = 'test-key-that-is-long-enough-for-hs256-0123456789';
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789-abcdefghij';
export const TEST_AUTH_SECRET = 'test-auth-secret-that-is-long-enough-0123456789';

export interface GraphQLError {
  message: string;
  extensions?: { code?: string; fields?: Record<string, string[]>; retryAfter?: number };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: GraphQLError[];
}

/** The `extensions.code` of the first error; undefined for an answer without errors. */
export const codeOf = (res: { errors?: GraphQLError[] }): string | undefined => res.errors?.[0]?.extensions?.code;

export interface TestService extends RunningService {
  config: Config;
  /** Every log line the service wrote, parsed. */
  logs: string[];
  /**
   * Sends one of the typed documents codegen writes (tests/generated): variables and result are
   * typed by the schema.
   */
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<TResult>>;
  /** Sends a query as text, for what no typed document can express (wrong types, hostile input). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** The Prometheus text of GET /metrics. */
  metricsText(headers?: Record<string, string>): Promise<string>;
}

/** A settable clock: tests move time instead of sleeping. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

export function testConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  return loadConfig({
    envFile: false,
    env: {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: String(db.poolMax),
      MIGRATE_ON_START: 'false',
      BCRYPT_ROUNDS: '4',
      LOG_LEVEL: 'debug',
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: TEST_JWT_KEY }),
      EVENT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      AUTH_SECRET: TEST_AUTH_SECRET,
      ...env,
    },
  });
}

export async function startTestService(
  db: TestDatabase,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestService> {
  const config = testConfig(db, options.env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const service = await startService(config, createLogger(config.logLevel, sink), options.clock);
  async function gql<T>(query: string, variables?: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
    const response = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
    return { ...body, status: response.status };
  }
  return {
    ...service,
    config,
    logs,
    gql,
    request: (document, variables, headers) => gql(printed(document), variables, headers),
    async metricsText(headers = {}) {
      const response = await fetch(`${service.url}/metrics`, { headers });
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return response.text();
    },
  };
}

const texts = new WeakMap<object, string>();
/** The text of a document, printed once. */
function printed(document: DocumentNode): string {
  let text = texts.get(document);
  if (text === undefined) {
    text = print(document);
    texts.set(document, text);
  }
  return text;
}
