// `npm run bench`: the service (built, run as production runs it) against minimal baselines on the
// same machine in the same run, so the ratios mean something even though absolute numbers drift.
// What is measured and how to read it: bench/README.md. Options: bench/options.ts.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench
//
// Order: throw-away database → service → seed users → baseline → per target a warm-up → rounds
// (each scenario service and baseline back to back, which one first alternating per round) →
// event loop under a login storm (per round) → memory under mixed load (once, last) → report.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BENCH_CLAIMS_FUNCTION, createThrowawayDatabase } from './database';
import {
  actionTarget,
  checkInterrupted,
  cleanup,
  describeMachine,
  hashStats,
  load,
  log,
  loginTarget,
  probe,
  progress,
  refreshTarget,
  runBench,
  startSeededService,
  warmUp,
  watch,
  type SeededService,
} from './harness';
import type { LoadTarget } from './load';
import { checkAction, checkRefresh, freshAccessTokens } from './operations';
import { describeOptions, type BenchOptions, type ProfileScenario } from './options';
import { describeExit, freePort, ROOT, runHashRate, startBaseline, startFloor, type RunningChild } from './processes';
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
/** The light action_sample load that runs beside the login storm. */
const STORM_ACTION_CONNECTIONS = 4;
const TARGETS = { refresh: 0.6, action: 0.95, login: 0.95, eventLoopMs: 25, memoryBytes: 150 * 1024 * 1024 };
/** Logins are also measured at this concurrency: below the thread pool's saturation, overheads show more. */
const LOW_LOGIN_CONNECTIONS = 8;

async function main(options: BenchOptions): Promise<number> {
  const header = [
    ...describeMachine(),
    ...describeOptions(options),
    'load generator: autocannon (closed loop, in the benchmark process) for both the service and the HTTP baselines',
  ];
  console.log(header.join('\n'));
  console.log('');

  const db = await createThrowawayDatabase(options.databaseUrl);
  cleanup.add(`drop database ${db.name}`, () => db.drop());
  log(`database ${db.name} created and migrated`);

  const asymmetric = options.jwtAlgorithm !== 'HS256';
  const profile = options.profile
    ? { dir: PROFILES_DIR, name: `service-${options.profile}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile` }
    : undefined;
  if (profile) mkdirSync(profile.dir, { recursive: true });
  const seeded = await startSeededService(options, db, profile);
  const { service, graphql, jwtSecret } = seeded;
  const refreshTokens = seeded.refreshTokens;

  const ctx: Context = { ...seeded, options, login: { next: 0 } };
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
  watch(baseline.child);
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
  watch(floor.child);
  ctx.floor = floor;
  await checkRefresh(`${floor.url}/refresh`, refreshTokens[0]!);
  await checkRefresh(`${floor.url}/apollo-refresh`, refreshTokens[0]!);
  await checkRefresh(`${floor.url}/fastify-apollo-refresh`, refreshTokens[0]!);
  log(`refresh floor ready at ${floor.url} (pid ${floor.child.pid})`);
  await checkRefresh(`${baseline.url}/refresh`, refreshTokens[0]!);
  const [checkToken] = await freshAccessTokens(graphql, refreshTokens.slice(0, 1));
  for (const route of ['/verify', '/apollo', '/fastify-apollo']) await checkAction(`${baseline.url}${route}`, checkToken!);
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

interface Context extends SeededService {
  options: BenchOptions;
  baseline?: RunningChild;
  floor?: RunningChild;
  /** Next seeded user to log in, shared by every login load so each account is used in turn. */
  login: { next: number };
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
  // Not the service: the same two behind Fastify 5 with its defaults and nothing else
  // (bench/children/fastify-apollo.ts) — the most the service's framework pair can reach.
  { scenario: 'action', plan: 'actionFastify', name: 'Fastify + Apollo Server alone: action_sample', baselineName: 'Apollo Server alone: action_sample', target: undefined },
  { scenario: 'refresh', plan: 'refreshFastify', name: 'Fastify + Apollo Server alone: user_refresh', baselineName: 'floor: node:http + one prepared join + JWT sign', target: undefined },
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
    service: (s) => load(serviceLogins(ctx), connections, s, service),
    // A fresh process per run, warmed for a second (threads started, code loaded) before the window.
    baseline: async (s) => {
      checkInterrupted();
      const { passwordHash: hash, password } = ctx.seed;
      return hashStats(await runHashRate({ hasher: 'bcrypt', hash, password, concurrency: connections, seconds: s, warmup: 1 }), 'bcrypt.compare');
    },
  });
  return {
    refresh: {
      service: (s) => load(refreshTarget(ctx.refreshTokens, service.url, '/graphql'), c, s, service),
      baseline: (s) => load(refreshTarget(ctx.refreshTokens, floorUrl, '/refresh'), c, s, floor),
    },
    refreshStatement: {
      service: (s) => load(refreshTarget(ctx.refreshTokens, service.url, '/graphql'), c, s, service),
      baseline: (s) => load(refreshTarget(ctx.refreshTokens, baselineUrl, '/refresh'), c, s, baseline),
    },
    refreshApollo: {
      service: (s) => load(refreshTarget(ctx.refreshTokens, floorUrl, '/apollo-refresh'), c, s, floor),
      baseline: (s) => load(refreshTarget(ctx.refreshTokens, floorUrl, '/refresh'), c, s, floor),
    },
    refreshFastify: {
      service: (s) => load(refreshTarget(ctx.refreshTokens, floorUrl, '/fastify-apollo-refresh'), c, s, floor),
      baseline: (s) => load(refreshTarget(ctx.refreshTokens, floorUrl, '/refresh'), c, s, floor),
    },
    actionFastify: {
      service: async (s) => load(actionTarget(await accessTokens(ctx), baselineUrl, '/fastify-apollo'), c, s, baseline),
      baseline: async (s) => load(actionTarget(await accessTokens(ctx), baselineUrl, '/apollo'), c, s, baseline),
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

function serviceLogins(ctx: Context): LoadTarget {
  return loginTarget(ctx.seed.users, ctx.service.url, ctx.login);
}

/** Access tokens live 15 minutes: each action run gets fresh ones (32 refreshes, outside the measurement). */
function accessTokens(ctx: Context): Promise<string[]> {
  return freshAccessTokens(ctx.graphql, ctx.refreshTokens);
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
    load(serviceLogins(ctx), options.connections, options.duration),
    load(actionTarget(tokens, service.url, '/graphql'), STORM_ACTION_CONNECTIONS, options.duration),
  ]);
  const inside = await probe(service);
  return { p50: inside.p50, p99: inside.p99, max: inside.max, login, action };
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
    load(refreshTarget(ctx.refreshTokens, service.url, '/graphql'), connections.refresh, seconds),
    load(actionTarget(tokens, service.url, '/graphql'), connections.action, seconds),
    load(serviceLogins(ctx), connections.login, seconds),
  ]);
  const inside = await probe(service);
  return {
    seconds,
    connections,
    idleRss: ctx.idleRss,
    rss: inside.rss,
    maxRss: inside.maxRss,
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
      ? refreshTarget(ctx.refreshTokens, service.url, '/graphql')
      : scenario === 'action'
        ? actionTarget(await accessTokens(ctx), service.url, '/graphql')
        : serviceLogins(ctx);
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

runBench('bench', main);
