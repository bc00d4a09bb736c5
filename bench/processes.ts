// The processes the benchmarks run: the service (built, `node dist/main.js` with the Docker image's
// Node flags, as the image runs it), the baseline servers, the peer (Better Auth) and the hash-rate probe. Each is its own process so that none
// shares an event loop or a thread pool with the load generator, which runs in this one.
//
// Every child is tracked: stopChildren() ends them all (SIGTERM, then SIGKILL) and a last-resort
// 'exit' hook SIGKILLs any left, so an error or Ctrl-C never leaves a server running. Children also
// get an IPC channel and end themselves when it closes, which covers this process being killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { HashRateOptions } from './children/hash-rate';

export const ROOT = path.resolve(__dirname, '..');
const SWC = ['-r', '@swc-node/register'];
/** Bytes of a child's stderr kept for the failure message. */
const STDERR_TAIL = 16 * 1024;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<Child>();

export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;
  private stderrTail = '';
  private readonly pending = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly messages: unknown[] = [];
  private messageWaiter: ((message: unknown) => void) | undefined;

  constructor(
    readonly name: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    stdout: 'ignore' | 'inherit' = 'ignore',
  ) {
    this.process = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', stdout, 'pipe', 'ipc'] });
    running.add(this);
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
    });
    this.process.on('message', (message: { id?: string; error?: string }) => {
      if (message.id === undefined) {
        // Unsolicited: a child reporting on its own (the bcrypt baseline's result).
        if (this.messageWaiter) this.messageWaiter(message);
        else this.messages.push(message);
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${this.name}: ${message.error}`));
      else waiter.resolve(message);
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        running.delete(this);
        for (const waiter of this.pending.values()) waiter.reject(new Error(`${this.name} exited (${describeExit(this.exitStatus)})`));
        this.pending.clear();
        resolve(this.exitStatus);
      });
      // A spawn failure emits 'error' and maybe no 'exit'.
      this.process.once('error', (error) => {
        this.stderrTail += `\n${error.message}`;
        this.exitStatus ??= { code: -1, signal: null };
        running.delete(this);
        resolve(this.exitStatus);
      });
    });
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  stderr(): string {
    return this.stderrTail.trim();
  }

  /** Sends `message` with an id over IPC and resolves with the child's answer carrying that id. */
  request<T>(message: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`${this.name} is not running`));
    const id = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name} did not answer ${JSON.stringify(message)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.send({ ...message, id });
    });
  }

  /** The next message the child sends on its own; rejects if it exits first. */
  async nextMessage<T>(timeoutMs: number): Promise<T> {
    if (this.messages.length) return this.messages.shift() as T;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<T>((resolve) => {
          this.messageWaiter = (message) => resolve(message as T);
        }),
        this.exited.then((status) => {
          throw new Error(`${this.name} exited (${describeExit(status)}) without reporting`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${this.name} did not report within ${timeoutMs / 1000} s`)), timeoutMs);
        }),
      ]);
    } finally {
      this.messageWaiter = undefined;
      clearTimeout(timer);
    }
  }

  /** SIGTERM (the service drains and exits, writing its CPU profile if asked to), then SIGKILL. */
  async stop(timeoutMs = 15_000): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus!;
    this.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.process.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }

  kill(): void {
    if (this.running) this.process.kill('SIGKILL');
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
}

/** Stops every child still running, in parallel. */
export async function stopChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

// Whatever path leads to exit, no child outlives this process.
process.on('exit', () => {
  for (const child of running) child.kill();
});

/** A port free right now on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls GET /readyz until it answers 200; fails at once, with the child's stderr, if the child exits. */
export async function waitReady(child: Child, baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running) {
      throw new Error(
        `${child.name} exited before it was ready (${describeExit(await child.exited)})` +
          (child.stderr() ? `; its stderr:\n${child.stderr()}` : '; no stderr (BENCH_VERBOSE=1 shows its log)'),
      );
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(`${child.name} was not ready within ${timeoutMs / 1000} s; its stderr:\n${child.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface ServiceStart {
  port: number;
  /** Variables the benchmark sets; everything else is passed through from this process. */
  env: Record<string, string>;
  verbose: boolean;
  /** Profile the process: written to this directory when it exits (on SIGTERM). */
  cpuProfile?: { dir: string; name: string };
}

export interface RunningChild {
  child: Child;
  url: string;
}

const PROBE = path.join(ROOT, 'bench/children/service-probe.cjs');

/** How the Docker image starts the service: its runtime stage's `ENV` and its `CMD`'s Node flags. */
export interface DockerRuntime {
  /** `CMD ["node", <flags>…, "dist/main.js"]`'s flags. */
  nodeFlags: string[];
  /** The runtime stage's `ENV KEY=value …` (unquoted values, as the Dockerfile writes them). */
  env: Record<string, string>;
}

/**
 * Read from the Dockerfile, so that the bench measures the service with the image's V8 flags and
 * allocator settings, and a change to them is measured by the next run without a second copy
 * here to keep in step.
 */
export function dockerRuntime(): DockerRuntime {
  // Continuation lines joined, comments dropped: one instruction per line.
  const lines = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n');
  const runtime = lines.slice(lines.findLastIndex((line) => /^FROM\s/.test(line)));
  const env: Record<string, string> = {};
  for (const line of runtime.filter((text) => /^ENV\s/.test(text))) {
    for (const pair of line.replace(/^ENV\s+/, '').trim().split(/\s+/)) {
      const [key, ...value] = pair.split('=');
      if (!key || !value.length) throw new Error(`the Dockerfile's ENV is not in the KEY=value form: ${line}`);
      env[key] = value.join('=');
    }
  }
  const line = runtime.filter((text) => /^CMD\s/.test(text)).pop();
  const cmd: unknown = line ? JSON.parse(line.replace(/^CMD\s+/, '')) : undefined;
  if (!Array.isArray(cmd) || cmd[0] !== 'node' || cmd.at(-1) !== 'dist/main.js' || !cmd.every((part) => typeof part === 'string')) {
    throw new Error(`the Dockerfile's CMD is not ["node", <flags>…, "dist/main.js"]: ${line ?? 'none'}`);
  }
  return { nodeFlags: (cmd as string[]).slice(1, -1), env };
}

/** `node <the image's flags> dist/main.js` in the image's environment, with the event-loop probe preloaded (plain CommonJS: no swc in the service). */
export async function startService(options: ServiceStart): Promise<RunningChild> {
  const profile = options.cpuProfile
    ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfile.dir}`, `--cpu-prof-name=${options.cpuProfile.name}`]
    : [];
  const image = dockerRuntime();
  const child = new Child(
    'the service',
    [...image.nodeFlags, ...profile, '--require', PROBE, path.join(ROOT, 'dist/main.js')],
    // The bench's own settings (NODE_ENV=production too) win over the image's.
    { ...process.env, ...image.env, ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    options.verbose ? 'inherit' : 'ignore',
  );
  const url = `http://127.0.0.1:${options.port}`;
  await waitReady(child, url);
  return { child, url };
}

export interface BaselineStart {
  port: number;
  databaseUrl: string;
  jwtSecret: string;
  poolMax: number;
  /** The jwk_url mode: sign with this algorithm, read roles and claims, verify with the service's JWK set. */
  asymmetric?: { algorithm: string; claimsFunction: string; jwksUrl: string };
}

export async function startBaseline(options: BaselineStart): Promise<RunningChild> {
  // The probe too, for the baseline's CPU time per request.
  const child = new Child('the baseline server', ['--require', PROBE, ...SWC, path.join(ROOT, 'bench/children/baseline.ts')], {
    ...process.env,
    BENCH_PROCESS_TITLE: 'hasura-auth bench baseline',
    NODE_ENV: 'production',
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_MAX: String(options.poolMax),
    HASURA_GRAPHQL_JWT_SECRET: options.jwtSecret,
    ...(options.asymmetric
      ? { BENCH_JWT_ALGORITHM: options.asymmetric.algorithm, JWT_CLAIMS_FUNCTION: options.asymmetric.claimsFunction, SERVICE_JWKS_URL: options.asymmetric.jwksUrl }
      : {}),
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitReady(child, url);
  return { child, url };
}

export interface FloorStart {
  port: number;
  databaseUrl: string;
  jwtSecret: string;
  poolMax: number;
  /** The algorithm the floor signs with (HASURA_GRAPHQL_JWT_SECRET's type when unset), and its private key (PEM). */
  algorithm?: string;
  privateKey?: string;
}

/** The refresh floor (bench/children/floor.ts): node:http, one prepared join, one JWT sign. */
export async function startFloor(options: FloorStart): Promise<RunningChild> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_PROCESS_TITLE: 'hasura-auth bench refresh floor',
    NODE_ENV: 'production',
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_MAX: String(options.poolMax),
    HASURA_GRAPHQL_JWT_SECRET: options.jwtSecret,
  };
  if (options.algorithm) env.FLOOR_JWT_ALGORITHM = options.algorithm;
  if (options.privateKey) env.FLOOR_JWT_PRIVATE_KEY = options.privateKey;
  const child = new Child('the refresh floor', ['--require', PROBE, ...SWC, path.join(ROOT, 'bench/children/floor.ts')], env);
  const url = `http://127.0.0.1:${options.port}`;
  await waitReady(child, url);
  return { child, url };
}

export interface HashRateResult {
  /** Compares completed per second inside the measured window. */
  rate: number;
  completed: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Compares that did not say "match". */
  errors: number;
}

/** A system's own password compare at `concurrency` in flight for `seconds`, in a fresh process (bench/children/hash-rate.ts). */
export async function runHashRate(options: HashRateOptions): Promise<HashRateResult> {
  // Options travel in the environment: a message sent before the child listens would be lost.
  const child = new Child(`the ${options.hasher} hash-rate baseline`, [...SWC, path.join(ROOT, 'bench/children/hash-rate.ts')], {
    ...process.env,
    HASH_RATE_OPTIONS: JSON.stringify(options),
  });
  try {
    return await child.nextMessage<HashRateResult>((options.seconds + options.warmup + 60) * 1000);
  } catch (error) {
    throw new Error(`${(error as Error).message}${child.stderr() ? `; its stderr:\n${child.stderr()}` : ''}`, { cause: error });
  } finally {
    await child.stop();
  }
}

export interface BetterAuthStart {
  port: number;
  /** Its own throw-away database: it creates its tables there with its own migration. */
  databaseUrl: string;
  poolMax: number;
  /** The algorithm of its jwt plugin's keys: EdDSA (its default), ES256 or RS256. */
  algorithm: string;
}

/** Better Auth on node:http (bench/children/better-auth.mjs, no TypeScript loader), with the probe for its CPU time and memory. */
export async function startBetterAuth(options: BetterAuthStart): Promise<RunningChild> {
  const url = `http://127.0.0.1:${options.port}`;
  const child = new Child('Better Auth', ['--require', PROBE, path.join(ROOT, 'bench/children/better-auth.mjs')], {
    ...process.env,
    BENCH_PROCESS_TITLE: 'hasura-auth bench peer: Better Auth',
    NODE_ENV: 'production',
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_MAX: String(options.poolMax),
    BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
    BETTER_AUTH_URL: url,
    PEER_JWT_ALGORITHM: options.algorithm,
  });
  await waitReady(child, url);
  return { child, url };
}
