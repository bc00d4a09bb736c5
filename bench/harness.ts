// What `npm run bench` (run.ts) and `npm run bench:peers` (peers.ts) share: the process's life
// (cleanup on success, failure and Ctrl-C), the service started and seeded as production runs it,
// the load targets built from its sessions, one measured run with the server's CPU time, and the
// progress lines. Each benchmark keeps only its own plan and report.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { BENCH_CLAIMS_FUNCTION, seedGrantsAndClaims, seedUsers, type Seed, type ThrowawayDatabase } from './database';
import { runLoad, stopAllLoads, type LoadResult, type LoadTarget } from './load';
import { actionBody, bearer, JSON_HEADERS, logIn, loginBody, refreshBody } from './operations';
import { OptionsError, readOptions, type BenchOptions } from './options';
import { describeExit, dockerRuntime, freePort, ROOT, startService, stopChildren, type Child, type HashRateResult, type RunningChild } from './processes';
import type { RunStats } from './report';

/** Enough distinct accounts that a login storm never trips the per-account login limit. */
export const SEEDED_USERS = 200;
/** Sessions whose tokens drive the session-based loads, spread over the connections. */
export const SESSIONS = 32;

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

export const cleanup = new Cleanup();
let interrupted = false;
/** Servers whose death explains a failure: reported with their stderr. */
const watched: Child[] = [];

/** A server whose exit, should the run fail, is reported with its stderr. */
export function watch(child: Child): void {
  watched.push(child);
}

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) {
    console.error(`${signal} again: exiting now; children are killed, the database may be left behind`);
    process.exit(130);
  }
  interrupted = true;
  console.error(`\n${signal}: stopping the load and the servers, dropping the database…`);
  stopAllLoads();
  void cleanup.run().finally(() => process.exit(130));
}

/** After Ctrl-C the cleanup runs; nothing new may start meanwhile. */
export function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

/**
 * Runs a benchmark's main with validated options and exits with its code: the cleanup always
 * runs, and on a failure every watched server that had exited is reported with its stderr.
 */
export function runBench(name: string, main: (options: BenchOptions) => Promise<number>): void {
  let options: BenchOptions;
  try {
    options = readOptions();
  } catch (error) {
    if (error instanceof OptionsError) {
      console.error(`${name}: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main(options).then(
    async (code) => {
      await cleanup.run();
      process.exit(interrupted ? 130 : code);
    },
    async (error: unknown) => {
      if (interrupted) return; // The signal handler is cleaning up and exits.
      console.error(`\n${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
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
}

/** What the probe preloaded into each server (children/service-probe.cjs) reports. */
export interface ProbeReport {
  p50: number;
  p99: number;
  max: number;
  rss: number;
  maxRss: number;
  /** CPU time used so far, microseconds. */
  cpu: number;
}

export function probe(server: RunningChild): Promise<ProbeReport> {
  return server.child.request<ProbeReport>({ type: 'report' });
}

/** The service started as production runs it, its users seeded, some of them logged in. */
export interface SeededService {
  service: RunningChild;
  graphql: string;
  seed: Seed;
  refreshTokens: string[];
  /** HASURA_GRAPHQL_JWT_SECRET of the HS256 mode, which the baselines sign with too. */
  jwtSecret: string;
  /** The service's RSS before any load, bytes. */
  idleRss: number;
}

/**
 * Production-like: the variables production requires, random secrets, the bench's bcrypt cost;
 * everything else passes through from this environment. Every later run waits for it to be idle.
 */
export async function startSeededService(
  options: BenchOptions,
  db: ThrowawayDatabase,
  cpuProfile?: { dir: string; name: string },
): Promise<SeededService> {
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
  const service = await startService({ port: await freePort(), env: serviceEnv, verbose: options.verbose, cpuProfile });
  cleanup.add('stop the service', () => service.child.stop());
  watch(service.child);
  log(`service ready at ${service.url} (pid ${service.child.pid})`);
  settling = service;

  const role = process.env.DEFAULT_ROLE?.trim() || 'user';
  const seed = await seedUsers(db.url, SEEDED_USERS, options.bcryptRounds, role);
  if (asymmetric) await seedGrantsAndClaims(db.url, 'manager');
  const graphql = `${service.url}/graphql`;
  const sessions = await logIn(graphql, seed.users.slice(0, SESSIONS));
  log(`seeded ${SEEDED_USERS} users sharing one cost-${options.bcryptRounds} hash; ${SESSIONS} logged in through the service`);

  // Before any load: what the service holds just for being up (start-up included in its peak).
  const idle = await probe(service);
  log(`service RSS after start-up and seeding: ${(idle.rss / 1024 / 1024).toFixed(0)} MB (peak so far ${(idle.maxRss / 1024 / 1024).toFixed(0)} MB)`);
  return { service, graphql, seed, refreshTokens: sessions.map((s) => s.refresh), jwtSecret, idleRss: idle.rss };
}

export function refreshTarget(refreshTokens: string[], baseUrl: string, path: string): LoadTarget {
  const bodies = refreshTokens.map(refreshBody);
  return { baseUrl, path, perConnection: (i) => ({ body: bodies[i % bodies.length]!, headers: { ...JSON_HEADERS } }) };
}

export function actionTarget(accessTokens: string[], baseUrl: string, path: string): LoadTarget {
  const body = actionBody();
  return { baseUrl, path, perConnection: (i) => ({ body, headers: bearer(accessTokens[i % accessTokens.length]!) }) };
}

/** Each request logs in the next of `users`; the cursor is shared by every login load so each account is used in turn. */
export function loginTarget(users: Seed['users'], baseUrl: string, cursor: { next: number }): LoadTarget {
  return {
    baseUrl,
    path: '/graphql',
    perRequest: () => {
      const user = users[cursor.next++ % users.length]!;
      return { body: loginBody(user.username, user.password), headers: { ...JSON_HEADERS } };
    },
  };
}

/**
 * One load run; with `server`, also the CPU time that server spent per answered request (read from
 * its probe before and after), a figure that holds up better than req/s on a busy machine.
 */
export async function load(target: LoadTarget, connections: number, seconds: number, server?: RunningChild): Promise<RunStats> {
  checkInterrupted();
  await settled();
  const cpu = async () => (server ? (await probe(server)).cpu : NaN);
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
export async function settled(server: RunningChild | undefined = settling): Promise<void> {
  if (!server?.child.running) return;
  const started = Date.now();
  const deadline = started + 15_000;
  let last = (await probe(server)).cpu;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = (await probe(server)).cpu;
    const busy = (now - last) / 250_000;
    last = now;
    if (busy < 0.1) break;
  }
  const waited = (Date.now() - started) / 1000;
  if (waited > 1) log(`waited ${waited.toFixed(1)} s for ${server.child.name} to finish the previous run's work`);
}

export function toStats(result: LoadResult): RunStats {
  return { rps: result.rps, p50: result.p50, p99: result.p99, errors: result.errors, sample: result.sample };
}

/** A hash-rate run as a row's figures: each compare counts as a request. */
export function hashStats(result: HashRateResult, compare: string): RunStats {
  return {
    rps: result.rate,
    p50: result.p50,
    p99: result.p99,
    errors: result.errors,
    sample: result.errors ? `${compare} said "no match" for the right password` : undefined,
  };
}

/** Warm-ups are not reported, but an error there would spoil every round: stop early. */
export async function warmUp(label: string, run: () => Promise<RunStats>): Promise<void> {
  const stats = await run();
  log(`warm-up ${label}: ${Math.round(stats.rps)} req/s`);
  if (stats.errors) throw new Error(`warm-up ${label}: ${stats.errors} error(s); first: ${stats.sample}`);
}

/** Machine, Node and the commit the service was built from: the header of every report. */
export function describeMachine(): string[] {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(', ');
  return [
    `date: ${new Date().toISOString()}`,
    `machine: ${cpus.length} × ${models}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB, ${os.platform()} ${os.release()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    `node ${process.version}; service: \`${describeImage()}\` built from ${gitDescription()}, NODE_ENV=production`,
  ];
}

/** The service's command line with the Dockerfile's allocator setting, e.g. `MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 dist/main.js`. */
function describeImage(): string {
  const { nodeFlags, env } = dockerRuntime();
  const settings = Object.entries(env).filter(([key]) => !['NODE_ENV', 'HOST', 'PORT'].includes(key));
  return [...settings.map(([key, value]) => `${key}=${value}`), 'node', ...nodeFlags, 'dist/main.js'].join(' ');
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

export function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

export function progress(round: number, rounds: number, label: string, stats: RunStats | undefined, extra = ''): void {
  const figures = stats
    ? `${Math.round(stats.rps).toString().padStart(6)} req/s  p50 ${stats.p50.toFixed(1).padStart(6)} ms  p99 ${stats.p99.toFixed(1).padStart(6)} ms  ${stats.errors} error(s)` +
      (stats.cpuPerRequest === undefined ? '' : `  ${Math.round(stats.cpuPerRequest)} µs CPU/req`)
    : extra;
  log(`round ${round + 1}/${rounds}  ${label.padEnd(28)} ${figures}`);
}
