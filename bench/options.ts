// The benchmark's knobs, read once from the environment and validated, so a typo stops the run
// before minutes of load are spent on the wrong settings.

export const SCENARIOS = ['refresh', 'action', 'floor', 'login', 'eventloop', 'memory'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The scenarios that can be profiled: one request kind against the service alone. */
export const PROFILE_SCENARIOS = ['refresh', 'action', 'login'] as const;
export type ProfileScenario = (typeof PROFILE_SCENARIOS)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

export interface BenchOptions {
  /** The PostgreSQL server; a throw-away database is created on it. */
  databaseUrl: string;
  connections: number;
  /** Seconds per measured run. */
  duration: number;
  rounds: number;
  /** Seconds of warm-up per target before the rounds. */
  warmup: number;
  memorySeconds: number;
  bcryptRounds: number;
  scenarios: Scenario[];
  /** The service's LOG_LEVEL. */
  logLevel: LogLevel;
  profile: ProfileScenario | undefined;
  /** Service stdout to the terminal instead of nowhere. */
  verbose: boolean;
  /** The service's pool size (DATABASE_POOL_MAX, passed through), which the baseline copies. */
  poolMax: number;
  /** libuv's thread pool, shared by the service and the bcrypt baseline (Node's default is 4). */
  threadPoolSize: number;
  /**
   * HS256: the shared-key mode. EdDSA, ES256, RS256: the jwk_url mode with the key ring, granted
   * roles and a claims function, against a baseline doing the same lookups and signing alike.
   */
  jwtAlgorithm: JwtAlgorithm;
}

export const JWT_ALGORITHMS = ['HS256', 'EdDSA', 'ES256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export class OptionsError extends Error {}

export function readOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new OptionsError(
      'DATABASE_URL must name a PostgreSQL server (postgresql://…); a throw-away database is created on it and dropped at the end',
    );
  }
  const scenarios = list(env, 'BENCH_SCENARIOS', SCENARIOS);
  const profile = env.BENCH_PROFILE ? oneOf(env, 'BENCH_PROFILE', PROFILE_SCENARIOS) : undefined;
  return {
    databaseUrl,
    connections: integer(env, 'BENCH_CONNECTIONS', 32, 1, 1024),
    duration: integer(env, 'BENCH_DURATION', 8, 1, 600),
    rounds: integer(env, 'BENCH_ROUNDS', 3, 1, 50),
    warmup: integer(env, 'BENCH_WARMUP', 2, 0, 120),
    memorySeconds: integer(env, 'BENCH_MEMORY_SECONDS', 60, 1, 3600),
    // 10 is the lowest cost the service accepts outside tests.
    bcryptRounds: integer(env, 'BENCH_BCRYPT_ROUNDS', 10, 10, 15),
    scenarios: profile ? [profile] : scenarios,
    logLevel: env.BENCH_LOG_LEVEL ? oneOf(env, 'BENCH_LOG_LEVEL', LOG_LEVELS) : 'info',
    profile,
    verbose: env.BENCH_VERBOSE === '1' || env.BENCH_VERBOSE === 'true',
    poolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 200),
    threadPoolSize: integer(env, 'UV_THREADPOOL_SIZE', 4, 1, 1024),
    jwtAlgorithm: jwtAlgorithm(env),
  };
}

export function describeOptions(o: BenchOptions): string[] {
  return [
    `connections ${o.connections}, ${o.duration} s per run, ${o.rounds} round(s), warm-up ${o.warmup} s per target`,
    `memory scenario ${o.memorySeconds} s, bcrypt cost ${o.bcryptRounds}, UV_THREADPOOL_SIZE ${o.threadPoolSize}, pool ${o.poolMax}`,
    `scenarios ${o.scenarios.join(',')}${o.profile ? ` (profile: ${o.profile})` : ''}, service LOG_LEVEL ${o.logLevel}`,
    o.jwtAlgorithm === 'HS256'
      ? 'tokens: HS256 (shared key)'
      : `tokens: ${o.jwtAlgorithm} from the key ring (jwk_url), one granted role and a claims function per user`,
  ];
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new OptionsError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new OptionsError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function list<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T[] {
  const raw = env[name]?.trim();
  if (!raw) return [...allowed];
  const items = [...new Set(raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  const bad = items.find((s) => !(allowed as readonly string[]).includes(s));
  if (bad !== undefined || !items.length) {
    throw new OptionsError(`${name} must be a comma list of ${allowed.join(', ')} (got "${raw}")`);
  }
  // Always in the canonical order, whatever order they were listed in.
  return allowed.filter((s) => items.includes(s));
}

function jwtAlgorithm(env: NodeJS.ProcessEnv): JwtAlgorithm {
  const raw = env.BENCH_JWT_ALGORITHM?.trim();
  if (!raw) return 'HS256';
  const found = JWT_ALGORITHMS.find((a) => a.toLowerCase() === raw.toLowerCase());
  if (!found) throw new OptionsError(`BENCH_JWT_ALGORITHM must be one of ${JWT_ALGORITHMS.join(', ')} (got "${raw}")`);
  return found;
}
