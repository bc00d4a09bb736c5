// `npm run bench`: the service (built, run as production runs it) against minimal baselines on the
// same machine in the same run, so the ratios mean something even though absolute numbers drift.
// What is measured and how to read it: bench/README.md. Options: bench/options.ts.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench
//
// Order: throw-away database → service → seed users → baseline → per target a warm-up → rounds
// (each scenario service and baseline back to back, which one first alternating per round) →
// event loop under a login storm (per round) → memory under mixed load (once, last) → report.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_CLAIMS_FUNCTION, createThrowawayDatabase, seedGrantsAndClaims, seedUsers, type Seed } from './database';
import { runLoad, stopAllLoads, type LoadResult, type LoadTarget } from './load';
import { actionBody, bearer, checkAction, checkRefresh, freshAccessTokens, JSON_HEADERS, logIn, loginBody, refreshBody } from './operations';
import { describeOptions, OptionsError, readOptions, type BenchOptions, type ProfileScenario } from './options';
import {
  describeExit,
  freePort,
  ROOT,
  runBcryptRate,
  startBaseline,
  startFloor,
  startService,
  stopChildren,
  type BcryptRateResult,
  type Child,
  type RunningChild,
} from './processes';
import { topOfProfileFile } from './profile-top';
import {
  errorSummary,
  renderMarkdown,
  verdicts,
  writeResults,
  type EventLoopResult,
  type MemoryResult,
  type Report,
  type RunStats,
  type ThroughputResult,
} from './report';

const RESULTS_DIR = path.join(ROOT, 'bench/results');
const PROFILES_DIR = path.join(RESULTS_DIR, 'profiles');
/** Enough distinct accounts that a login storm never trips the per-account login limit. */
const SEEDED_USERS = 200;
/** Sessions whose tokens drive user_refresh and action_sample, spread over the connections. */
const SESSIONS = 32;
/** The light action_sample load that runs beside the login storm. */
const STORM_ACTION_CONNECTIONS = 4;
const TARGETS = { refresh: 0.6, action: 0.95, login: 0.95, eventLoopMs: 25, memoryBytes: 150 * 1024 * 1024 };
/** Logins are also measured at this concurrency: below the thread pool's saturation, overheads show more. */
const LOW_LOGIN_CONNECTIONS = 8;

/** Undo steps, run last-in first-out, once, on success, failure or Ctrl-C. */
class Cleanup {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  private done: Promise<void> | undefined;

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup: could not ${step.name}: ${(error as Error).message}`);
        }
      }
      await stopChildren();
    })();
    return this.done;
  }
}

const cleanup = new Cleanup();
let interrupted = false;
/** Servers whose death explains a failure: reported with their stderr. */
const watched: Child[] = [];

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) {
    console.error(`${signal} again: exiting now; children are killed, the database may be left behind`);
    process.exit(130);
  }
  interrupted = true;
  console.error(`\n${signal}: stopping the load, the service and the baseline, dropping the database…`);
  stopAllLoads();
  void cleanup.run().finally(() => process.exit(130));
}

/** After Ctrl-C the cleanup runs; nothing new may start meanwhile. */
function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = readOptions();
  } catch (error) {
    if (error instanceof OptionsError) {
      console.error(`bench: ${error.message}`);
      return 2;
    }
    throw error;
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const header = describeRun(options);
  console.log(header.join('\n'));
  console.log('');

  const db = await createThrowawayDatabase(options.databaseUrl);
  cleanup.add(`drop database ${db.name}`, () => db.drop());
  log(`database ${db.name} created and migrated`);

  // Production-like: the variables production requires, random secrets, the bench's bcrypt cost;
  // everything else passes through from this environment.
  const jwtSecret = JSON.stringify({ type: 'HS256', key: randomBytes(36).toString('base64url') }); // 48 characters
  const asymmetric = options.jwtAlgorithm !== 'HS256';
  const serviceEnv: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    HASURA_GRAPHQL_JWT_SECRET: asymmetric ? JSON.stringify({ jwk_url: 'http://127.0.0.1/.well-known/jwks.json' }) : jwtSecret,
    ...(asymmetric ? { JWT_ALGORITHM: options.jwtAlgorithm, JWT_CLAIMS_FUNCTION: BENCH_CLAIMS_FUNCTION } : {}),
    EVENT_WEBHOOK_SECRET: randomBytes(32).toString('base64url'),
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    BCRYPT_ROUNDS: String(options.bcryptRounds),
    LOG_LEVEL: options.logLevel,
    // Reusable refresh tokens (the default), so one token per connection serves a whole run.
    REFRESH_TOKEN_ROTATION: 'false',
  };
  const profile = options.profile
    ? { dir: PROFILES_DIR, name: `service-${options.profile}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile` }
    : undefined;
  if (profile) mkdirSync(profile.dir, { recursive: true });
  const service = await startService({ port: await freePort(), env: serviceEnv, verbose: options.verbose, cpuProfile: profile });
  cleanup.add('stop the service', () => service.child.stop());
  watched.push(service.child);
  log(`service ready at ${service.url} (pid ${service.child.pid})`);
  settling = service;

  const role = process.env.DEFAULT_ROLE?.trim() || 'user';
  const seed = await seedUsers(db.url, SEEDED_USERS, options.bcryptRounds, role);
  if (asymmetric) await seedGrantsAndClaims(db.url, 'manager');
  const graphql = `${service.url}/graphql`;
  const sessions = await logIn(graphql, seed.users.slice(0, SESSIONS));
  const refreshTokens = sessions.map((s) => s.refresh);
  log(`seeded ${SEEDED_USERS} users sharing one cost-${options.bcryptRounds} hash; ${SESSIONS} logged in through the service`);

  // Before any load: what the service holds just for being up (start-up included in its peak).
  const idle = await service.child.request<ProbeReport>({ type: 'report' });
  log(`service RSS after start-up and seeding: ${(idle.rss / 1024 / 1024).toFixed(0)} MB (peak so far ${(idle.maxRss / 1024 / 1024).toFixed(0)} MB)`);

  const ctx: Context = { options, service, graphql, seed, refreshTokens, nextUser: 0, idleRss: idle.rss };
  if (options.profile) return runProfile(ctx, options.profile, profile!.dir, profile!.name);

  const baseline = await startBaseline({
    port: await freePort(),
    databaseUrl: db.url,
    jwtSecret,
    poolMax: options.poolMax,
    // The same lookups and algorithm; it verifies the service's tokens with the service's JWK set.
    asymmetric: asymmetric
      ? { algorithm: options.jwtAlgorithm, claimsFunction: BENCH_CLAIMS_FUNCTION, jwksUrl: `${service.url}/.well-known/jwks.json` }
      : undefined,
  });
  cleanup.add('stop the baseline server', () => baseline.child.stop());
  watched.push(baseline.child);
  ctx.baseline = baseline;
  // In the jwk_url mode the floor signs with the same algorithm (a key of its own, made at start).
  const floor = await startFloor({
    port: await freePort(),
    databaseUrl: db.url,
    jwtSecret,
    poolMax: options.poolMax,
    ...(asymmetric ? { algorithm: options.jwtAlgorithm } : {}),
  });
  cleanup.add('stop the refresh floor', () => floor.child.stop());
  watched.push(floor.child);
  ctx.floor = floor;
  await checkRefresh(`${floor.url}/refresh`, refreshTokens[0]!);
  await checkRefresh(`${floor.url}/apollo-refresh`, refreshTokens[0]!);
  log(`refresh floor ready at ${floor.url} (pid ${floor.child.pid})`);
  await checkRefresh(`${baseline.url}/refresh`, refreshTokens[0]!);
  await checkAction(`${baseline.url}/verify`, (await freshAccessTokens(graphql, refreshTokens.slice(0, 1)))[0]!);
  log(`baseline ready at ${baseline.url} (pid ${baseline.child.pid})`);

  const report: Report = {
    header,
    connections: options.connections,
    duration: options.duration,
    rounds: options.rounds,
    throughput: [],
    eventLoop: undefined,
    memory: undefined,
  };
  const rows = THROUGHPUT.filter((t) => options.scenarios.includes(t.scenario) && !(t.plan === 'loginLow' && options.connections === LOW_LOGIN_CONNECTIONS));
  const throughput = rows.map(
    (t): ThroughputResult => ({
      scenario: t.scenario,
      name: t.name,
      baselineName: t.baselineName,
      target: t.target,
      connections: t.plan === 'loginLow' ? LOW_LOGIN_CONNECTIONS : options.connections,
      service: [],
      baseline: [],
    }),
  );
  report.throughput = throughput;

  if (options.warmup > 0) {
    for (const [i, t] of throughput.entries()) {
      const row = rows[i]!;
      const plan = plans(ctx)[row.plan];
      if (!('sharesService' in row)) await warmUp(`${t.name} service`, () => plan.service(options.warmup));
      if (t.scenario !== 'login') await warmUp(`${t.name} baseline${'sharesService' in row ? ' (statement)' : ''}`, () => plan.baseline(options.warmup));
    }
  }

  if (options.scenarios.includes('eventloop')) {
    report.eventLoop = {
      loginConnections: options.connections,
      actionConnections: STORM_ACTION_CONNECTIONS,
      target: TARGETS.eventLoopMs,
      rounds: [],
    };
  }

  for (let round = 0; round < options.rounds; round++) {
    const serviceFirst = round % 2 === 0;
    for (const [i, t] of throughput.entries()) {
      const row = rows[i]!;
      const plan = plans(ctx)[row.plan];
      const sides = serviceFirst ? (['service', 'baseline'] as const) : (['baseline', 'service'] as const);
      for (const side of sides) {
        // A second baseline for the same service runs: the service's figures of the row before.
        const shared = side === 'service' && 'sharesService' in row ? throughput[i - 1]?.service[round] : undefined;
        const stats = shared ?? (await plan[side](options.duration));
        t[side].push(stats);
        if (!shared) progress(round, options.rounds, `${t.name}${t.connections === options.connections ? '' : ` @${t.connections}`} ${side === 'service' ? 'service ' : row.plan === 'refreshStatement' ? 'statement baseline' : 'baseline'}`, stats);
      }
    }
    if (report.eventLoop) {
      const storm = await loginStorm(ctx);
      report.eventLoop.rounds.push(storm);
      progress(round, options.rounds, 'login storm: event-loop', undefined, `p99 ${storm.p99.toFixed(1)} ms, max ${storm.max.toFixed(1)} ms`);
      progress(round, options.rounds, 'login storm: user_login', storm.login);
      progress(round, options.rounds, 'login storm: action_sample', storm.action);
    }
  }

  if (options.scenarios.includes('memory')) {
    report.memory = await mixedLoad(ctx);
    log(`memory: RSS ${(report.memory.rss / 1024 / 1024).toFixed(0)} MB after ${options.memorySeconds} s of mixed load`);
  }

  // The service must have survived everything: a crash mid-run would otherwise read as errors only.
  if (!service.child.running) throw new Error(`the service exited during the run (${describeExit(await service.child.exited)})`);

  const markdown = renderMarkdown(report);
  console.log(`\n${markdown}`);
  const files = writeResults(RESULTS_DIR, report, markdown);
  console.log(`written: ${files.map((f) => path.relative(ROOT, f)).join(', ')}`);
  const errors = errorSummary(report);
  const met = verdicts(report);
  if (errors.total) {
    console.error(`\nbench FAILED: ${errors.total} error(s); the figures above are not trustworthy:\n${errors.lines.join('\n')}`);
    return 1;
  }
  console.log(`targets: ${met.filter((v) => v.met).length}/${met.length} met`);
  return 0;
}

interface Context {
  options: BenchOptions;
  service: RunningChild;
  baseline?: RunningChild;
  floor?: RunningChild;
  graphql: string;
  seed: Seed;
  refreshTokens: string[];
  /** Next seeded user to log in, shared by every login load so each account is used in turn. */
  nextUser: number;
  /** The service's RSS before any load, bytes. */
  idleRss: number;
}

const THROUGHPUT = [
  // The floor (bench/children/floor.ts): the least work that answers a refresh.
  { scenario: 'refresh', plan: 'refresh', name: 'user_refresh', baselineName: 'floor: node:http + one prepared join + JWT sign', target: TARGETS.refresh },
  // The previous baseline, kept to explain the gap: it runs the service's own statement and checks,
  // so its ratio says what the service adds around that statement. Same service runs as the row above.
  {
    scenario: 'refresh',
    plan: 'refreshStatement',
    sharesService: true,
    name: 'user_refresh',
    baselineName: "node:http + pg: the service's own statement + JWT sign",
    target: undefined,
  },
  // Apollo Server 5 alone over node:http doing the same work in a resolver
  // (bench/children/baseline.ts, POST /apollo): the ceiling for a service built on it.
  { scenario: 'action', plan: 'action', name: 'action_sample', baselineName: 'Apollo Server alone: action_sample', target: TARGETS.action },
  // Not the service: what the framework costs by itself against a bare JWT verify.
  { scenario: 'floor', plan: 'floor', name: 'Apollo Server alone: action_sample', baselineName: 'node:http: JWT verify', target: undefined },
  // Not the service: the floor's own refresh in the resolver of Apollo Server 5 alone (bench/children/floor.ts,
  // POST /apollo-refresh) against the floor — the most a refresh served through Apollo can reach.
  { scenario: 'refresh', plan: 'refreshApollo', name: 'Apollo Server alone: user_refresh', baselineName: 'floor: node:http + one prepared join + JWT sign', target: undefined },
  { scenario: 'login', plan: 'login', name: 'user_login', baselineName: 'raw `bcrypt.compare` rate', target: TARGETS.login },
  { scenario: 'login', plan: 'loginLow', name: 'user_login', baselineName: 'raw `bcrypt.compare` rate', target: TARGETS.login },
] as const;

type Side = (seconds: number) => Promise<RunStats>;
type Plan = (typeof THROUGHPUT)[number]['plan'];

/** What each throughput row runs against the service and against its baseline. */
function plans(ctx: Context): Record<Plan, { service: Side; baseline: Side }> {
  const { options } = ctx;
  const c = options.connections;
  const baselineUrl = ctx.baseline?.url ?? '';
  const floorUrl = ctx.floor?.url ?? '';
  const { service, baseline, floor } = ctx;
  const login = (connections: number): { service: Side; baseline: Side } => ({
    service: (s) => load(loginTarget(ctx), connections, s, service),
    // A fresh process per run, warmed for a second (threads started, code loaded) before the window.
    baseline: async (s) => {
      checkInterrupted();
      const { passwordHash: hash, password } = ctx.seed;
      return bcryptStats(await runBcryptRate({ hash, password, concurrency: connections, seconds: s, warmup: 1 }));
    },
  });
  return {
    refresh: {
      service: (s) => load(refreshTarget(ctx, service.url, '/graphql'), c, s, service),
      baseline: (s) => load(refreshTarget(ctx, floorUrl, '/refresh'), c, s, floor),
    },
    refreshStatement: {
      service: (s) => load(refreshTarget(ctx, service.url, '/graphql'), c, s, service),
      baseline: (s) => load(refreshTarget(ctx, baselineUrl, '/refresh'), c, s, baseline),
    },
    refreshApollo: {
      service: (s) => load(refreshTarget(ctx, floorUrl, '/apollo-refresh'), c, s, floor),
      baseline: (s) => load(refreshTarget(ctx, floorUrl, '/refresh'), c, s, floor),
    },
    action: {
      service: async (s) => load(actionTarget(await accessTokens(ctx), service.url, '/graphql'), c, s, service),
      baseline: async (s) => load(actionTarget(await accessTokens(ctx), baselineUrl, '/apollo'), c, s, baseline),
    },
    floor: {
      service: async (s) => load(actionTarget(await accessTokens(ctx), baselineUrl, '/apollo'), c, s, baseline),
      baseline: async (s) => load(actionTarget(await accessTokens(ctx), baselineUrl, '/verify'), c, s, baseline),
    },
    login: login(c),
    loginLow: login(LOW_LOGIN_CONNECTIONS),
  };
}

function refreshTarget(ctx: Context, baseUrl: string, path: string): LoadTarget {
  const bodies = ctx.refreshTokens.map(refreshBody);
  return { baseUrl, path, perConnection: (i) => ({ body: bodies[i % bodies.length]!, headers: { ...JSON_HEADERS } }) };
}

function actionTarget(tokens: string[], baseUrl: string, path: string): LoadTarget {
  const body = actionBody();
  return { baseUrl, path, perConnection: (i) => ({ body, headers: bearer(tokens[i % tokens.length]!) }) };
}

function loginTarget(ctx: Context): LoadTarget {
  const users = ctx.seed.users;
  return {
    baseUrl: ctx.service.url,
    path: '/graphql',
    perRequest: () => {
      const user = users[ctx.nextUser++ % users.length]!;
      return { body: loginBody(user.username, user.password), headers: { ...JSON_HEADERS } };
    },
  };
}

/** Access tokens live 15 minutes: each action run gets fresh ones (32 refreshes, outside the measurement). */
function accessTokens(ctx: Context): Promise<string[]> {
  return freshAccessTokens(ctx.graphql, ctx.refreshTokens);
}

/**
 * One load run; with `server`, also the CPU time that server spent per answered request (read from
 * its probe before and after), a figure that holds up better than req/s on a busy machine.
 */
async function load(target: LoadTarget, connections: number, seconds: number, server?: RunningChild): Promise<RunStats> {
  checkInterrupted();
  await settled();
  const cpu = async () => (server ? (await server.child.request<ProbeReport>({ type: 'report' })).cpu : NaN);
  const before = await cpu();
  const result = await runLoad(target, connections, seconds);
  const used = (await cpu()) - before;
  return { ...toStats(result), cpuPerRequest: result.requests > 0 ? used / result.requests : undefined };
}

/** The service, once started: every run waits for it to be idle first. */
let settling: RunningChild | undefined;

/**
 * Waits until the service has finished the work of the run before: a login load leaves up to
 * BENCH_CONNECTIONS bcrypt hashes queued in its thread pool when the load generator stops, a
 * second or more of CPU that would otherwise be charged to the next run (and take the CPU from
 * whichever server that run measures). Idle: under 10 % of a core for 250 ms; at most 15 s.
 */
async function settled(): Promise<void> {
  if (!settling?.child.running) return;
  const started = Date.now();
  const deadline = started + 15_000;
  let last = (await settling.child.request<ProbeReport>({ type: 'report' })).cpu;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = (await settling.child.request<ProbeReport>({ type: 'report' })).cpu;
    const busy = (now - last) / 250_000;
    last = now;
    if (busy < 0.1) break;
  }
  const waited = (Date.now() - started) / 1000;
  if (waited > 1) log(`waited ${waited.toFixed(1)} s for the service to finish the previous run's work`);
}

function toStats(result: LoadResult): RunStats {
  return { rps: result.rps, p50: result.p50, p99: result.p99, errors: result.errors, sample: result.sample };
}

function bcryptStats(result: BcryptRateResult): RunStats {
  return {
    rps: result.rate,
    p50: result.p50,
    p99: result.p99,
    errors: result.errors,
    sample: result.errors ? 'bcrypt.compare said "no match" for the right password' : undefined,
  };
}

/** Warm-ups are not reported, but an error there would spoil every round: stop early. */
async function warmUp(label: string, run: () => Promise<RunStats>): Promise<void> {
  const stats = await run();
  log(`warm-up ${label}: ${Math.round(stats.rps)} req/s`);
  if (stats.errors) throw new Error(`warm-up ${label}: ${stats.errors} error(s); first: ${stats.sample}`);
}

/**
 * Logins at full concurrency with a light action_sample load beside them: the event-loop delay
 * measured inside the service says whether hashing blocks other requests, and the action_sample
 * latency shows what a caller would feel.
 */
async function loginStorm(ctx: Context): Promise<EventLoopResult['rounds'][number]> {
  const { options, service } = ctx;
  const tokens = await accessTokens(ctx);
  await service.child.request({ type: 'reset' });
  const [login, action] = await Promise.all([
    load(loginTarget(ctx), options.connections, options.duration),
    load(actionTarget(tokens, service.url, '/graphql'), STORM_ACTION_CONNECTIONS, options.duration),
  ]);
  const probe = await service.child.request<ProbeReport>({ type: 'report' });
  return { p50: probe.p50, p99: probe.p99, max: probe.max, login, action };
}

interface ProbeReport {
  p50: number;
  p99: number;
  max: number;
  rss: number;
  maxRss: number;
  /** CPU time used so far, microseconds. */
  cpu: number;
}

/** Refresh, action_sample and login at once, splitting the connections, then the service's RSS. */
async function mixedLoad(ctx: Context): Promise<MemoryResult> {
  const { options, service } = ctx;
  const c = options.connections;
  const connections = { refresh: Math.max(1, Math.floor(c / 2)), action: Math.max(1, Math.floor(c / 4)), login: 0 };
  connections.login = Math.max(1, c - connections.refresh - connections.action);
  const seconds = options.memorySeconds;
  log(`memory: ${seconds} s of mixed load (${connections.refresh} refresh, ${connections.action} action_sample, ${connections.login} login connections)…`);
  const tokens = await accessTokens(ctx);
  const [refresh, action, login] = await Promise.all([
    load(refreshTarget(ctx, service.url, '/graphql'), connections.refresh, seconds),
    load(actionTarget(tokens, service.url, '/graphql'), connections.action, seconds),
    load(loginTarget(ctx), connections.login, seconds),
  ]);
  const probe = await service.child.request<ProbeReport>({ type: 'report' });
  return {
    seconds,
    connections,
    idleRss: ctx.idleRss,
    rss: probe.rss,
    maxRss: probe.maxRss,
    target: TARGETS.memoryBytes,
    loads: { refresh, action, login },
  };
}

/**
 * One scenario against the profiled service only, then SIGTERM: the service exits cleanly and Node
 * writes the profile, of which the measured window is summarised.
 */
async function runProfile(ctx: Context, scenario: ProfileScenario, dir: string, name: string): Promise<number> {
  const { options, service } = ctx;
  const c = options.connections;
  const target = async (): Promise<LoadTarget> =>
    scenario === 'refresh'
      ? refreshTarget(ctx, service.url, '/graphql')
      : scenario === 'action'
        ? actionTarget(await accessTokens(ctx), service.url, '/graphql')
        : loginTarget(ctx);
  if (options.warmup > 0) await warmUp(`${scenario} service`, async () => load(await target(), c, options.warmup));
  const measured = await target();
  const start = monotonicMicros();
  const stats = await load(measured, c, options.duration, service);
  const window = { start, end: monotonicMicros() };
  log(
    `profiled ${scenario}: ${Math.round(stats.rps)} req/s, p50 ${stats.p50} ms, p99 ${stats.p99} ms, ` +
      `${Math.round(stats.cpuPerRequest ?? NaN)} µs CPU/req (profiler included), ${stats.errors} error(s)`,
  );
  const status = await service.child.stop();
  const file = path.join(dir, name);
  if (!existsSync(file)) throw new Error(`the service (${describeExit(status)}) wrote no profile at ${file}`);
  console.log(`\nprofile: ${path.relative(ROOT, file)} (open it in Chrome DevTools → Performance, or speedscope)\n`);
  console.log(topOfProfileFile(file, ROOT, 25, window));
  if (stats.errors) {
    console.error(`\nbench FAILED: ${stats.errors} error(s); first: ${stats.sample}`);
    return 1;
  }
  return 0;
}

/** Microseconds on the monotonic clock V8 stamps profiles with, to cut the measured window out of one. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function describeRun(options: BenchOptions): string[] {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(', ');
  return [
    `date: ${new Date().toISOString()}`,
    `machine: ${cpus.length} × ${models}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB, ${os.platform()} ${os.release()}`,
    `node ${process.version}; service: \`node dist/main.js\` built from ${gitDescription()}, NODE_ENV=production`,
    ...describeOptions(options),
    'load generator: autocannon (closed loop, in the benchmark process) for both the service and the HTTP baselines',
  ];
}

function gitDescription(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'prisma') ? ' + uncommitted changes in src/ or prisma/' : '';
    return `${git('rev-parse', '--short', 'HEAD')} (${git('rev-parse', '--abbrev-ref', 'HEAD')})${dirty}`;
  } catch {
    return 'an unknown commit';
  }
}

/** The baseline mirrors the service's session lookup; say so loudly when the service changed it. */
function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function progress(round: number, rounds: number, label: string, stats: RunStats | undefined, extra = ''): void {
  const figures = stats
    ? `${Math.round(stats.rps).toString().padStart(6)} req/s  p50 ${stats.p50.toFixed(1).padStart(6)} ms  p99 ${stats.p99.toFixed(1).padStart(6)} ms  ${stats.errors} error(s)` +
      (stats.cpuPerRequest === undefined ? '' : `  ${Math.round(stats.cpuPerRequest)} µs CPU/req`)
    : extra;
  log(`round ${round + 1}/${rounds}  ${label.padEnd(28)} ${figures}`);
}

main().then(
  async (code) => {
    await cleanup.run();
    process.exit(interrupted ? 130 : code);
  },
  async (error: unknown) => {
    if (interrupted) return; // The signal handler is cleaning up and exits.
    console.error(`\nbench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const child of watched.filter((c) => !c.running)) {
      const status = await child.exited;
      // main.ts exits 0 after a graceful stop: something sent the service SIGTERM or SIGINT.
      const why = status.code === 0 ? ' — a clean stop: something sent it SIGTERM/SIGINT' : '';
      console.error(`\n${child.name} had exited (${describeExit(status)}${why}); its stderr:\n${child.stderr() || '(empty)'}`);
    }
    await cleanup.run();
    process.exit(1);
  },
);
