// Drains 1,000 Hasura events (500 user_registered + 500 password_reset_requested) through two
// service instances sharing one database into a local SMTP server, delivering them the way Hasura
// may: concurrently, with a share of events delivered twice at once and some redelivered later.
// Prints emails per second and the number of duplicate emails (must be 0) and missing ones.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:events
//
// Options (environment): BENCH_EVENTS (1000), BENCH_CONCURRENCY (32, in-flight webhook requests),
// BENCH_DUPLICATES (0.2, share of events delivered twice concurrently), BENCH_REDELIVERIES (0.1,
// share delivered once more after everything else), BENCH_SMTP_QUERY (appended to SMTP_URL, e.g.
// ?maxConnections=1 to compare pool sizes).
// A throw-away database is created on the DATABASE_URL server and dropped at the end.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { startService, type RunningService } from '../src/service';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startSmtpServer } from '../tests/support/smtp';
import { createThrowawayDatabase } from './database';

const SECRET = randomBytes(32).toString('base64url');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const DUPLICATES = Number(process.env.BENCH_DUPLICATES ?? 0.2);
const REDELIVERIES = Number(process.env.BENCH_REDELIVERIES ?? 0.1);

type Trigger = 'user_registered' | 'password_reset_requested';
interface Delivery {
  trigger: Trigger;
  body: string;
  instance: number;
}

async function main(): Promise<void> {
  const server = process.env.DATABASE_URL;
  if (!server) {
    console.error('bench/events.ts needs DATABASE_URL (a PostgreSQL server; a throw-away database is created on it)');
    process.exit(2);
  }
  const db = await createThrowawayDatabase(server);
  const databaseUrl = db.url;

  const smtp = await startSmtpServer();
  const services: RunningService[] = [];
  const warnings: string[] = [];
  try {
    for (let i = 0; i < 2; i++) services.push(await startInstance(databaseUrl, smtp.url, warnings));

    const events = await seed(databaseUrl, EVENTS);
    const deliveries = plan(events);
    const latencies: number[] = [];
    const answers = new Map<string, number>();
    const started = performance.now();
    await drain(deliveries.main, services, latencies, answers);
    await drain(deliveries.late, services, latencies, answers);
    // Counted, not parsed: parsing 1,000 emails would be measured too.
    for (const deadline = Date.now() + 30_000; smtp.received.length < EVENTS && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (performance.now() - started) / 1000;
    // Anything sent behind an answer's back would arrive now.
    await new Promise((r) => setTimeout(r, 500));

    const ids = smtp.received.map((m) => /^Message-ID:\s*(\S+)/im.exec(m.raw.toString('latin1'))?.[1] ?? '?');
    const distinct = new Set(ids).size;
    const duplicates = ids.length - distinct;
    const missing = EVENTS - distinct;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);

    console.log(`events:            ${EVENTS} (${EVENTS / 2} user_registered + ${EVENTS / 2} password_reset_requested)`);
    console.log(`deliveries:        ${deliveries.main.length + deliveries.late.length} over 2 instances, ${CONCURRENCY} in flight`);
    console.log(`answers:           ${[...answers].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`emails received:   ${ids.length} in ${seconds.toFixed(2)} s`);
    console.log(`emails per second: ${(ids.length / seconds).toFixed(0)}`);
    console.log(`delivery latency:  p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
    console.log(`duplicates:        ${duplicates}`);
    console.log(`missing:           ${missing}`);
    if (warnings.length) console.log(`service warnings:  ${warnings.length}, first: ${warnings[0]}`);
    if (duplicates !== 0 || missing !== 0) process.exitCode = 1;
  } finally {
    for (const service of services) await service.stop();
    await smtp.stop();
    await db.drop();
  }
}

async function startInstance(databaseUrl: string, smtpUrl: string, warnings: string[]): Promise<RunningService> {
  const config = loadConfig({
    envFile: false,
    env: {
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      MIGRATE_ON_START: 'false',
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: randomBytes(32).toString('hex') }),
      EVENT_WEBHOOK_SECRET: SECRET,
      AUTH_SECRET: randomBytes(32).toString('hex'),
      SMTP_URL: smtpUrl + (process.env.BENCH_SMTP_QUERY ?? ''),
      EMAIL_FROM: 'Bench <no-reply@bench.test>',
      LOG_LEVEL: 'warn',
    },
  });
  // Warnings and errors are collected, not printed over the results.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      warnings.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return startService(config, createLogger(config.logLevel, sink));
}

/** Users and reset requests as the service creates them, and their events as Hasura builds them. */
async function seed(databaseUrl: string, count: number): Promise<{ trigger: Trigger; payload: string }[]> {
  const half = count / 2;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO users (username, email, password_hash, role_id)
       SELECT 'bench' || i, 'bench' || i || '@example.com', '$2b$12$' || repeat('x', 53), (SELECT id FROM roles WHERE name = 'user')
         FROM generate_series(1, $1::int) i`,
      [count],
    );
    await client.query(
      `INSERT INTO password_reset_requests (id, user_id, expires_at)
       SELECT gen_random_uuid(), id, now() + interval '1 hour' FROM users WHERE username LIKE 'bench%' ORDER BY id OFFSET $1`,
      [half],
    );
    const users = await client.query<{ row: Record<string, unknown> }>(
      `SELECT json_build_object('id', u.id, 'username', u.username, 'email', u.email, 'is_active', u.is_active,
                                'role_id', u.role_id, 'registration_sent', u.registration_sent, 'created_at', u.created_at) AS row
         FROM users u WHERE username LIKE 'bench%' ORDER BY id LIMIT $1`,
      [half],
    );
    const resets = await client.query<{ row: Record<string, unknown> }>(
      `SELECT json_build_object('id', r.id, 'user_id', r.user_id, 'created_at', r.created_at, 'expires_at', r.expires_at,
                                'used_at', r.used_at, 'reset_sent', r.reset_sent) AS row
         FROM password_reset_requests r`,
    );
    const payload = (trigger: Trigger, table: string, row: Record<string, unknown>) =>
      JSON.stringify({
        id: randomUUID(),
        created_at: new Date().toISOString(),
        trigger: { name: trigger },
        table: { schema: 'public', name: table },
        event: { op: 'INSERT', data: { old: null, new: row }, session_variables: null, trace_context: null },
        delivery_info: { max_retries: 5, current_retry: 0 },
      });
    return [
      ...users.rows.map((r) => ({ trigger: 'user_registered' as const, payload: payload('user_registered', 'users', r.row) })),
      ...resets.rows.map((r) => ({ trigger: 'password_reset_requested' as const, payload: payload('password_reset_requested', 'password_reset_requests', r.row) })),
    ];
  } finally {
    await client.end();
  }
}

/** Every event once; some twice at once (to the other instance); some once more at the end. */
function plan(events: { trigger: Trigger; payload: string }[]): { main: Delivery[]; late: Delivery[] } {
  const main: Delivery[] = [];
  const late: Delivery[] = [];
  events.forEach((event, i) => {
    const instance = i % 2;
    main.push({ trigger: event.trigger, body: event.payload, instance });
    if (Math.random() < DUPLICATES) main.push({ trigger: event.trigger, body: event.payload, instance: 1 - instance });
    if (Math.random() < REDELIVERIES) late.push({ trigger: event.trigger, body: event.payload, instance });
  });
  // Shuffle, keeping each duplicate close to its original so the two overlap.
  for (let i = main.length - 1; i > 0; i--) {
    const j = Math.max(0, i - 1 - Math.floor(Math.random() * 3));
    [main[i], main[j]] = [main[j]!, main[i]!];
  }
  return { main, late };
}

async function drain(deliveries: Delivery[], services: RunningService[], latencies: number[], answers: Map<string, number>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      const started = performance.now();
      const response = await fetch(`${services[delivery.instance]!.url}/events/${delivery.trigger}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-secret': SECRET },
        body: delivery.body,
      });
      const body = (await response.json()) as { status?: string };
      latencies.push(performance.now() - started);
      const key = response.status === 200 ? String(body.status) : `HTTP ${response.status}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
