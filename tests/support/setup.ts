// One line of setup per test file: `const t = setupTestService({ env, clock, mailbox: true })` starts
// the real service on a fresh database before the file's (or the describe block's) first test, and
// stops it and drops the database after the last. `t` then hands out the service, the captured
// mailbox and the fixtures bound to that service.
import type { Clock } from '../../src/clock';
import { createTestDatabase, type TestDatabase } from './database';
import {
  assignRole,
  createResetRequest,
  registerUser,
  sessionOf,
  setActive,
  signIn,
  type TestUser,
  type Tokens,
} from './fixtures';
import { deliver, eventForRow, type EventOptions, type HasuraEventPayload, type TriggerName, type WebhookResponse } from './hasura-events';
import { startTestService, type TestService } from './service';
import { startSmtpServer, type SmtpServerOptions, type TestSmtpServer } from './smtp';
import type { UserRegister } from '../generated/graphql';

export interface DatabaseHandle {
  /** Available from beforeAll on. */
  readonly db: TestDatabase;
  /** Another service on this database, stopped before the database is dropped. */
  startService(options?: { env?: Record<string, string>; clock?: Clock }): Promise<TestService>;
  /** Runs `stop` before the database is dropped (jest runs afterAll hooks in the order they were declared). */
  stopBeforeDrop(stop: () => Promise<void>): void;
}

export interface TestServiceOptions {
  /** Configuration on top of the tests' defaults (tests/support/service.ts). */
  env?: Record<string, string>;
  clock?: Clock;
  /** Start an SMTP server that captures every email, and point SMTP_URL at it. */
  mailbox?: boolean | SmtpServerOptions;
  /** Run on a database another setup made (several services on one database), not a fresh one. */
  database?: DatabaseHandle;
}

export interface TestInstance {
  readonly db: TestDatabase;
  readonly service: TestService;
  /** The captured mailbox (only with the `mailbox` option). */
  readonly mailbox: TestSmtpServer;
  users: {
    register(fields?: Partial<UserRegister> & { prefix?: string }, headers?: Record<string, string>): Promise<TestUser>;
    signIn(user: { username: string; password: string }): Promise<Tokens>;
    deactivate(userId: number): Promise<void>;
    reactivate(userId: number): Promise<void>;
    assignRole(userId: number, role: string): Promise<void>;
  };
  sessions: {
    /** The stored session of a refresh token. */
    of(refresh: string): ReturnType<typeof sessionOf>;
  };
  resetRequests: {
    create(userId: number, options?: { validSeconds?: number }): Promise<string>;
  };
  /** Hasura's side of the event triggers: payloads built from stored rows, delivered to this service. */
  events: {
    forRow(trigger: TriggerName, id: unknown, options?: EventOptions): Promise<HasuraEventPayload>;
    deliver(trigger: string, body: unknown, options?: Parameters<typeof deliver>[3]): Promise<WebhookResponse>;
  };
}

/** A fresh, migrated database for this file (or describe block), dropped after it. */
export function setupTestDatabase(): DatabaseHandle {
  let db: TestDatabase | undefined;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await db?.drop();
  });
  return {
    get db() {
      return ready(db, 'db');
    },
    async startService(options = {}) {
      const service = await startTestService(ready(db, 'db'), options);
      stops.push(() => service.stop());
      return service;
    },
    stopBeforeDrop(stop) {
      stops.push(stop);
    },
  };
}

export function setupTestService(options: TestServiceOptions = {}): TestInstance {
  let db: TestDatabase | undefined;
  let service: TestService | undefined;
  let mailbox: TestSmtpServer | undefined;
  let stopped: Promise<void> | undefined;
  // Stops once, whichever comes first: this setup's afterAll or a shared database's drop.
  const stop = () =>
    (stopped ??= (async () => {
      await service?.stop();
      await mailbox?.stop();
    })());
  options.database?.stopBeforeDrop(stop);
  beforeAll(async () => {
    db = options.database ? options.database.db : await createTestDatabase();
    const env = { ...options.env };
    if (options.mailbox) {
      mailbox = await startSmtpServer(options.mailbox === true ? {} : options.mailbox);
      env.SMTP_URL = mailbox.url;
    }
    service = await startTestService(db, { env, clock: options.clock });
  });
  afterAll(async () => {
    await stop();
    if (!options.database) await db?.drop();
  });

  const running = () => ready(service, 'service');
  return {
    get db() {
      return ready(db, 'db');
    },
    get service() {
      return running();
    },
    get mailbox() {
      if (!options.mailbox) throw new Error('this test service was set up without a mailbox ({ mailbox: true })');
      return ready(mailbox, 'mailbox');
    },
    users: {
      register: (fields, headers) => registerUser(running(), fields, headers),
      signIn: (user) => signIn(running(), user),
      deactivate: (userId) => setActive(running(), userId, false),
      reactivate: (userId) => setActive(running(), userId, true),
      assignRole: (userId, role) => assignRole(running(), userId, role),
    },
    sessions: {
      of: (refresh) => sessionOf(running(), refresh),
    },
    resetRequests: {
      create: (userId, requestOptions) => createResetRequest(running(), userId, { clock: options.clock, ...requestOptions }),
    },
    events: {
      forRow: (trigger, id, eventOptions) => eventForRow(running().services.db.pool, trigger, id, eventOptions),
      deliver: (trigger, body, deliverOptions) => deliver(running().url, trigger, body, deliverOptions),
    },
  };
}

function ready<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`the test ${name} is not there yet: use it inside a test or a hook, after setup's beforeAll`);
  return value;
}
