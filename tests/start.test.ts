// `npm start` as a new user runs it: no configuration at all (embedded database, generated key),
// then a graceful stop on SIGTERM with requests in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
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
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output.join('')}`)), 60_000);
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

    // Logins at the default bcrypt cost take a while: stop while they are in flight.
    const inFlight = Array.from({ length: 4 }, () => gql(port, LOGIN, { arg: { username: 'newcomer', password: 'my first password' } }));
    await new Promise((r) => setTimeout(r, 50));
    service.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    }
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
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
