// `npm run bench:peers`: the service next to Better Auth on the same machine, the same PostgreSQL
// server and the same load generator, in alternating rounds, for the requests both answer:
//   session → JWT          `user_refresh`    vs  GET /api/auth/token        (session cookie)
//   authenticated request  `action_sample`   vs  GET /api/auth/get-session  (session cookie)
//   login                  `user_login`      vs  POST /api/auth/sign-in/email
// and each login rate against that system's own password-hash rate. How Better Auth is set up:
// bench/children/better-auth.mjs. What is measured and how to read it: bench/README.md.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:peers
//
// Order: two throw-away databases (the service's, migrated; Better Auth's, which it migrates
// itself) → the service, seeded → Better Auth, its users signed up → per target a warm-up →
// rounds (each comparison service and peer back to back, which one first alternating per round;
// after the logins, both hash rates) → memory of both → report.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hashPassword } from 'better-auth/crypto';
import { createThrowawayDatabase, SEED_PASSWORD } from './database';
import {
  actionTarget,
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
  SESSIONS,
  settled,
  startSeededService,
  warmUp,
  watch,
  type SeededService,
} from './harness';
import type { LoadTarget } from './load';
import { freshAccessTokens, JSON_HEADERS } from './operations';
import { describeOptions, type BenchOptions } from './options';
import { freePort, ROOT, runHashRate, startBetterAuth, type RunningChild } from './processes';
import { peerErrors, renderPeersMarkdown, writePeerResults, type HashRate, type PeerComparison, type PeerReport } from './peers-report';
import type { RunStats } from './report';

const RESULTS_DIR = path.join(ROOT, 'bench/results');
const PEER = 'Better Auth';
const BETTER_AUTH_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules/better-auth/package.json'), 'utf8')) as { version: string }).version;
/** Its session cookie, as its default settings name it on plain http. */
const SESSION_COOKIE = 'better-auth.session_token';
/** Its password hash (`@better-auth/utils/password`'s defaults), named in the report. */
const PEER_HASH = 'scrypt N=16384, r=16, p=1 (`verifyPassword` of `better-auth/crypto`)';

interface PeerUser {
  email: string;
  password: string;
  /** `Cookie` header value carrying the session its sign-up opened. */
  cookie: string;
}

type Side = (seconds: number) => Promise<RunStats>;

/** One comparison: what the service is asked, what the peer is asked. */
interface Pair {
  scenario: 'refresh' | 'action' | 'login';
  label: string;
  serviceName: string;
  peerName: string;
  service: Side;
  peer: Side;
}

async function main(options: BenchOptions): Promise<number> {
  if (options.profile) {
    console.error('bench:peers: BENCH_PROFILE is for `npm run bench`; the comparison has no profile mode');
    return 2;
  }
  const scenarios = options.scenarios.filter((s) => s === 'refresh' || s === 'action' || s === 'login');
  if (!scenarios.length) {
    console.error('bench:peers: BENCH_SCENARIOS must include refresh, action or login (the others have no counterpart here)');
    return 2;
  }
  const peerAlgorithm = options.jwtAlgorithm === 'HS256' ? 'EdDSA' : options.jwtAlgorithm;
  const header = [
    ...describeMachine(),
    ...describeOptions({ ...options, scenarios }),
    `${PEER} ${BETTER_AUTH_VERSION} on node:http (\`toNodeHandler\`), NODE_ENV=production: \`emailAndPassword\` and the \`jwt\` plugin ` +
      `(${peerAlgorithm} keys${options.jwtAlgorithm === 'HS256' ? ': it has no HS256' : ''}), a \`pg.Pool\` of ${options.poolMax}, ` +
      'its own database made by its own migration; its rate limiter and its `set-auth-jwt` header on `get-session` off',
    'load generator: autocannon (closed loop, in the benchmark process) for both servers',
  ];
  console.log(header.join('\n'));
  console.log('');

  const db = await createThrowawayDatabase(options.databaseUrl);
  cleanup.add(`drop database ${db.name}`, () => db.drop());
  const peerDb = await createThrowawayDatabase(options.databaseUrl, { migrate: false });
  cleanup.add(`drop database ${peerDb.name}`, () => peerDb.drop());
  log(`databases ${db.name} (the service's, migrated) and ${peerDb.name} (${PEER}'s) created`);

  const seeded = await startSeededService(options, db);
  const peer = await startBetterAuth({ port: await freePort(), databaseUrl: peerDb.url, poolMax: options.poolMax, algorithm: peerAlgorithm });
  cleanup.add(`stop ${PEER}`, () => peer.child.stop());
  watch(peer.child);
  const peerUsers = await signUp(peer.url, SESSIONS);
  await checkPeer(peer.url, peerUsers[0]!);
  const peerIdle = await probe(peer);
  log(`${PEER} ready at ${peer.url} (pid ${peer.child.pid}); ${SESSIONS} users signed up; RSS ${(peerIdle.rss / 1024 / 1024).toFixed(0)} MB`);
  const peerHash = await hashPassword(SEED_PASSWORD);

  const c = options.connections;
  // One run against either server, once both are idle: after a sign-in load the peer, like the
  // service after a login load, still has hashes queued in its thread pool, whose CPU would be
  // taken from whichever server the next run measures. `load` waits for the service itself.
  const measure = async (target: LoadTarget, server: RunningChild, seconds: number): Promise<RunStats> => {
    await settled(peer);
    return load(target, c, seconds, server);
  };
  const serviceLogins = { next: 0 };
  const peerLogins = { next: 0 };
  const all: Pair[] = [
    {
      scenario: 'refresh',
      label: 'session → JWT',
      serviceName: '`user_refresh`',
      peerName: '`GET /api/auth/token` (session cookie)',
      service: (s) => measure(refreshTarget(seeded.refreshTokens, seeded.service.url, '/graphql'), seeded.service, s),
      peer: (s) => measure(peerTarget(peer.url, '/api/auth/token', peerUsers, (body) => !body.startsWith('{"token":"ey')), peer, s),
    },
    {
      scenario: 'action',
      label: 'authenticated request',
      serviceName: '`action_sample` (bearer JWT)',
      peerName: '`GET /api/auth/get-session` (session cookie)',
      service: async (s) => measure(actionTarget(await accessTokens(seeded), seeded.service.url, '/graphql'), seeded.service, s),
      // A session it does not accept is answered 200 `null`.
      peer: (s) => measure(peerTarget(peer.url, '/api/auth/get-session', peerUsers, (body) => !body.startsWith('{"session":')), peer, s),
    },
    {
      scenario: 'login',
      label: 'login',
      serviceName: '`user_login`',
      peerName: '`POST /api/auth/sign-in/email`',
      service: (s) => measure(loginTarget(seeded.seed.users, seeded.service.url, serviceLogins), seeded.service, s),
      peer: (s) => measure(peerSignIns(peer.url, peerUsers, peerLogins), peer, s),
    },
  ];
  const pairs = all.filter((p) => scenarios.includes(p.scenario));
  const hashes = {
    service: (s: number) =>
      hashRate({ hasher: 'bcrypt', hash: seeded.seed.passwordHash, password: SEED_PASSWORD, concurrency: c, seconds: s, warmup: 1 }, 'bcrypt.compare', peer),
    peer: (s: number) => hashRate({ hasher: 'better-auth', hash: peerHash, password: SEED_PASSWORD, concurrency: c, seconds: s, warmup: 1 }, 'verifyPassword', peer),
  };

  if (options.warmup > 0) {
    for (const pair of pairs) {
      await warmUp(`${pair.label}: service`, () => pair.service(options.warmup));
      await warmUp(`${pair.label}: ${PEER}`, () => pair.peer(options.warmup));
    }
  }

  const comparisons: PeerComparison[] = pairs.map((p) => ({ label: p.label, service: { name: p.serviceName, runs: [] }, peer: { name: p.peerName, runs: [] } }));
  const login = scenarios.includes('login');
  const hashRates = login
    ? { service: { hasher: `bcrypt cost ${options.bcryptRounds} (\`bcrypt.compare\`)`, runs: [] as RunStats[] }, peer: { hasher: PEER_HASH, runs: [] as RunStats[] } }
    : undefined;
  for (let round = 0; round < options.rounds; round++) {
    const sides = round % 2 === 0 ? (['service', 'peer'] as const) : (['peer', 'service'] as const);
    for (const [i, pair] of pairs.entries()) {
      for (const side of sides) {
        const stats = await pair[side](options.duration);
        comparisons[i]![side].runs.push(stats);
        progress(round, options.rounds, `${pair.label}: ${side === 'service' ? 'service' : PEER}`, stats);
      }
    }
    if (hashRates) {
      for (const side of sides) {
        const stats = await hashes[side](options.duration);
        (hashRates[side] as HashRate).runs.push(stats);
        progress(round, options.rounds, `hash rate: ${side === 'service' ? 'bcrypt' : 'scrypt'}`, stats);
      }
    }
  }

  // Both must have survived everything: a crash mid-run would otherwise read as errors only.
  for (const server of [seeded.service, peer]) {
    if (!server.child.running) throw new Error(`${server.child.name} exited during the run`);
  }
  const [serviceEnd, peerEnd] = await Promise.all([probe(seeded.service), probe(peer)]);
  const report: PeerReport = {
    header,
    peerName: PEER,
    connections: c,
    duration: options.duration,
    rounds: options.rounds,
    comparisons,
    login: login ? 'login' : undefined,
    hashRates,
    memory: {
      service: { idleRss: seeded.idleRss, rss: serviceEnd.rss, maxRss: serviceEnd.maxRss },
      peer: { idleRss: peerIdle.rss, rss: peerEnd.rss, maxRss: peerEnd.maxRss },
    },
  };
  const markdown = renderPeersMarkdown(report);
  console.log(`\n${markdown}`);
  const files = writePeerResults(RESULTS_DIR, report, markdown);
  console.log(`written: ${files.map((f) => path.relative(ROOT, f)).join(', ')}`);
  const errors = peerErrors(report);
  if (errors.total) {
    console.error(`\nbench:peers FAILED: ${errors.total} error(s); the figures above are not trustworthy:\n${errors.lines.join('\n')}`);
    return 1;
  }
  return 0;
}

/** Access tokens live 15 minutes: each run gets fresh ones (outside the measurement). */
function accessTokens(seeded: SeededService): Promise<string[]> {
  return freshAccessTokens(seeded.graphql, seeded.refreshTokens);
}

async function hashRate(options: Parameters<typeof runHashRate>[0], compare: string, peer: RunningChild): Promise<RunStats> {
  await settled(peer);
  await settled();
  return hashStats(await runHashRate(options), compare);
}

/** Each connection reads with one user's session cookie; a 2xx answer is checked by `failed`. */
function peerTarget(baseUrl: string, path: string, users: PeerUser[], failed: (body: string) => boolean): LoadTarget {
  return { baseUrl, path, method: 'GET', failed, perConnection: (i) => ({ body: '', headers: { cookie: users[i % users.length]!.cookie } }) };
}

/** Each request signs in the next user, right password. */
function peerSignIns(baseUrl: string, users: PeerUser[], cursor: { next: number }): LoadTarget {
  return {
    baseUrl,
    path: '/api/auth/sign-in/email',
    failed: (body) => !body.includes('"token":"'),
    perRequest: () => {
      const user = users[cursor.next++ % users.length]!;
      return { body: JSON.stringify({ email: user.email, password: user.password }), headers: postHeaders(baseUrl) };
    },
  };
}

/**
 * Users registered through its own sign-up endpoint (one scrypt hash each, a few at a time), each
 * keeping the session its sign-up opened.
 */
async function signUp(baseUrl: string, count: number): Promise<PeerUser[]> {
  const users = new Array<PeerUser>(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const email = `bench_user_${i + 1}@bench.test`;
      const response = await peerCall(`${baseUrl}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: postHeaders(baseUrl),
        body: JSON.stringify({ email, password: SEED_PASSWORD, name: `bench_user_${i + 1}` }),
      });
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
      if (!cookie) throw new Error(`${PEER} sign-up of ${email} set no ${SESSION_COOKIE} cookie`);
      users[i] = { email, password: SEED_PASSWORD, cookie: cookie.split(';')[0]! };
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return users;
}

/** Each endpoint answers as expected before it is measured. */
async function checkPeer(baseUrl: string, user: PeerUser): Promise<void> {
  const token = (await (await peerCall(`${baseUrl}/api/auth/token`, { headers: { cookie: user.cookie } })).json()) as { token?: string };
  if (token.token?.split('.').length !== 3) throw new Error(`${PEER} /api/auth/token answered ${JSON.stringify(token)}`);
  const session = (await (await peerCall(`${baseUrl}/api/auth/get-session`, { headers: { cookie: user.cookie } })).json()) as { session?: unknown } | null;
  if (!session?.session) throw new Error(`${PEER} /api/auth/get-session answered ${JSON.stringify(session)}`);
  await peerCall(`${baseUrl}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: postHeaders(baseUrl),
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
}

/**
 * A browser's POST carries its page's Origin, which Better Auth checks against its own (Node's
 * fetch sends `sec-fetch-mode`, which makes it demand one).
 */
function postHeaders(baseUrl: string): Record<string, string> {
  return { ...JSON_HEADERS, origin: baseUrl };
}

/** One call outside the measurements; anything but 2xx is fatal. */
async function peerCall(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${PEER} ${init.method ?? 'GET'} ${new URL(url).pathname}: HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  return response;
}

runBench('bench:peers', main);
