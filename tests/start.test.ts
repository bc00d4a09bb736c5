// `npm start` as a new user runs it: no configuration at all (embedded database, generated key),
// then a graceful stop on SIGTERM with requests in flight: they complete, new connections are
// refused, and the process exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import net, { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LOGIN, REGISTER } from './support/operations';

const ROOT = path.resolve(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

async function startMain(env: Record<string, string>): Promise<Started> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|TEST_|NODE_ENV|HASURA_|EVENT_WEBHOOK|JEST)/.test(k)),
  );
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output.join('')}`)), 110_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join('').includes('auth service ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${output.join('')}`)));
  });
  return { child, output, exited };
}

async function gql(port: number, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

/** A POST whose body is sent in two halves: in flight on the server until `finish`. */
function startRequest(port: number, body: string): { finish(): Promise<{ status: number; body: string }> } {
  const request = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/graphql',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  request.write(body.slice(0, half));
  return {
    finish() {
      request.end(body.slice(half));
      return answer;
    },
  };
}

/** The service's count of requests in flight, from GET /metrics. */
async function inFlightGauge(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^auth_http_requests_in_flight (\d+)$/m.exec(text)?.[1]);
}

/** Opens a new connection: 'connected', or the error code. */
function connect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Retries an assertion until it holds (at most ~10 s): for states the test waits for, not timings it checks. */
async function eventually(assertion: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (attempt >= 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

jest.setTimeout(120_000);

it('starts with no configuration, serves GraphQL, and stops gracefully on SIGTERM', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'auth-start-'));
  const port = await freePort();
  const service = await startMain({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' });
  try {
    expect(service.output.join('')).toContain('embedded database');
    const health = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(health.status).toBe(200);

    const registered = await gql(port, REGISTER, { arg: { username: 'newcomer', email: 'new@example.com', password: 'my first password' } });
    expect(registered.body.errors).toBeUndefined();
    const login = await gql(port, LOGIN, { arg: { username: 'newcomer', password: 'my first password' } });
    expect(login.body.errors).toBeUndefined();

    // Requests in flight for sure: their headers are in, their bodies only half sent, and the
    // service's own gauge shows them — no guessing with sleeps.
    const body = JSON.stringify({ query: LOGIN, variables: { arg: { username: 'newcomer', password: 'my first password' } } });
    const inFlight = Array.from({ length: 3 }, () => startRequest(port, body));
    await eventually(async () => expect(await inFlightGauge(port)).toBe(3));

    service.child.kill('SIGTERM');
    await eventually(async () => expect(service.output.join('')).toContain('finishing in-flight requests'));
    // New connections are refused while those requests are still open…
    await eventually(async () => expect(await connect(port)).toBe('ECONNREFUSED'));
    // …and the requests complete, with real answers.
    const answers = await Promise.all(inFlight.map((request) => request.finish()));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ data: { user_login: { access: expect.any(String) } } });
    }
    expect(await service.exited).toBe(0);
  } finally {
    service.child.kill('SIGKILL');
  }

  // Restarted on the same data directory: the account and the key are still there.
  const again = await startMain({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' });
  try {
    const login = await gql(port, LOGIN, { arg: { username: 'NEWCOMER', password: 'my first password' } });
    expect(login.body.errors).toBeUndefined();
  } finally {
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }
});

it('stops at start-up with one line naming a bad variable', async () => {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'auth-start-')), ACCESS_TOKEN_TTL: 'forever' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  expect(code).toBe(1);
  expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('ACCESS_TOKEN_TTL')]);
});

it('refuses a data directory another process holds, with a clear error', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'auth-start-'));
  const first = await startMain({ DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' });
  try {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/in use by process \d+/);
  } finally {
    first.child.kill('SIGTERM');
    await first.exited;
  }
});
