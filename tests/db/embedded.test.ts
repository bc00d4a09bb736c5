import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import {
  EMBEDDED_POOL_MAX,
  EmbeddedDatabaseLockedError,
  startEmbeddedDatabase,
  type EmbeddedDatabase,
} from '../../src/db/embedded';

const repoRoot = path.resolve(__dirname, '../..');
let tmp: string;
let dataDir: string;
const logs: string[] = [];
const log = (msg: string) => logs.push(msg);

beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-db-')));
  dataDir = path.join(tmp, 'pglite');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function withPool<T>(db: EmbeddedDatabase, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: db.url, max: EMBEDDED_POOL_MAX });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** Starts the embedded database in another process and resolves once it holds the lock. */
function startInChild(dir: string): Promise<ChildProcess> {
  const script = `
    require('./src/db/embedded').startEmbeddedDatabase({ dataDir: ${JSON.stringify(dir)} })
      .then(() => { console.log('READY'); setInterval(() => {}, 60000); })
      .catch((err) => { console.error(err); process.exit(1); });`;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', script], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('READY')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

// Creating a PGlite database is seconds of WebAssembly on one core; on a busy two-core machine it
// can take longer than Jest's default, and a first test cut off by its timeout leaves the
// database open and locked for every later one. A generous ceiling, not a speed check.
jest.setTimeout(120_000);

test('creates a database with citext and keeps data across close and reopen', async () => {
  const first = await startEmbeddedDatabase({ dataDir, log });
  expect(first.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/);
  await withPool(first, async (pool) => {
    await pool.query('CREATE EXTENSION IF NOT EXISTS citext');
    await pool.query('CREATE TABLE users (email citext PRIMARY KEY, name text NOT NULL)');
    await pool.query('INSERT INTO users VALUES ($1, $2)', ['Ada@Example.com', 'Ada']);
    const found = await pool.query('SELECT name FROM users WHERE email = $1', ['ada@EXAMPLE.COM']);
    expect(found.rows).toEqual([{ name: 'Ada' }]);
    await expect(pool.query('INSERT INTO users VALUES ($1, $2)', ['ADA@example.com', 'Again'])).rejects.toThrow(
      /duplicate key/,
    );
  });
  await first.close();

  const second = await startEmbeddedDatabase({ dataDir, log });
  try {
    const rows = await withPool(second, async (pool) => (await pool.query('SELECT email, name FROM users')).rows);
    expect(rows).toEqual([{ email: 'Ada@Example.com', name: 'Ada' }]);
  } finally {
    await second.close();
  }
  expect(logs).toEqual([
    expect.stringMatching(/^embedded database created in \d+ ms: /),
    expect.stringMatching(/^embedded database closed in \d+ ms$/),
    expect.stringMatching(/^embedded database opened in \d+ ms: /),
    expect.stringMatching(/^embedded database closed in \d+ ms$/),
  ]);
});

test('a second start in the same process fails fast while the first is open', async () => {
  const db = await startEmbeddedDatabase({ dataDir });
  try {
    const again = startEmbeddedDatabase({ dataDir });
    await expect(again).rejects.toBeInstanceOf(EmbeddedDatabaseLockedError);
    await expect(again).rejects.toThrow(
      `the embedded database in ${dataDir} is in use by process ${process.pid}; stop it or set DATABASE_URL`,
    );
    // Another spelling of the same directory is the same directory.
    const link = path.join(tmp, 'link');
    fs.symlinkSync(dataDir, link);
    await expect(startEmbeddedDatabase({ dataDir: link })).rejects.toBeInstanceOf(EmbeddedDatabaseLockedError);
  } finally {
    await db.close();
  }
});

test('a database held by another process is refused, and taken over once that process dies', async () => {
  const child = await startInChild(dataDir);
  try {
    const attempt = startEmbeddedDatabase({ dataDir });
    await expect(attempt).rejects.toBeInstanceOf(EmbeddedDatabaseLockedError);
    await expect(attempt).rejects.toThrow(`is in use by process ${child.pid}; stop it or set DATABASE_URL`);
  } finally {
    await killAndWait(child); // SIGKILL: no cleanup, the lock file stays behind
  }
  expect(fs.readFileSync(`${dataDir}.lock`, 'utf8')).toMatch(new RegExp(`^${child.pid}\n`));

  const db = await startEmbeddedDatabase({ dataDir });
  try {
    const rows = await withPool(db, async (pool) => (await pool.query('SELECT count(*)::int AS n FROM users')).rows);
    expect(rows).toEqual([{ n: 1 }]);
  } finally {
    await db.close();
  }
});

test('a stale lock left by a dead pid is taken over', async () => {
  fs.writeFileSync(`${dataDir}.lock`, `${deadPid()}\n${os.hostname()}\n`);
  const db = await startEmbeddedDatabase({ dataDir });
  expect(fs.readFileSync(`${dataDir}.lock`, 'utf8')).toBe(`${process.pid}\n${os.hostname()}\n`);
  await db.close();
  expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
});

test('a lock written on another host is respected', async () => {
  fs.writeFileSync(`${dataDir}.lock`, `${deadPid()}\nsome-other-host\n`);
  try {
    await expect(startEmbeddedDatabase({ dataDir })).rejects.toThrow(/on host some-other-host; stop it \(or delete .*pglite\.lock/);
  } finally {
    fs.rmSync(`${dataDir}.lock`);
  }
});

test('close is idempotent and releases the lock', async () => {
  const db = await startEmbeddedDatabase({ dataDir });
  await Promise.all([db.close(), db.close()]);
  await db.close();
  expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
  const again = await startEmbeddedDatabase({ dataDir });
  await again.close();
});

test('serves concurrent transactions correctly through one connection', async () => {
  const db = await startEmbeddedDatabase({ dataDir });
  try {
    await withPool(db, async (pool) => {
      await pool.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)');
      await pool.query('INSERT INTO counters SELECT g, 0 FROM generate_series(1, 5) g');
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const id = (i % 5) + 1;
            const { rows } = await client.query<{ n: number }>('SELECT n FROM counters WHERE id = $1', [id]);
            await client.query('UPDATE counters SET n = $1 WHERE id = $2', [rows[0]!.n + 1, id]);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }),
      );
      const { rows } = await pool.query('SELECT sum(n)::int AS total FROM counters');
      expect(rows).toEqual([{ total: 50 }]);
    });
  } finally {
    await db.close();
  }
});

test('named prepared statements work, also after pg-pool replaces a failed connection', async () => {
  const db = await startEmbeddedDatabase({ dataDir });
  try {
    await withPool(db, async (pool) => {
      let connections = 0;
      pool.on('connect', () => connections++);
      const twice = (n: number) => pool.query({ name: 'twice', text: 'SELECT $1::int * 2 AS n', values: [n] });
      expect((await twice(21)).rows).toEqual([{ n: 42 }]);
      expect((await twice(5)).rows).toEqual([{ n: 10 }]);
      // pg-pool discards a client whose query failed; the next one must not find "twice" taken.
      await expect(pool.query('SELECT 1 / $1::int', [0])).rejects.toThrow(/division by zero/);
      expect((await twice(4)).rows).toEqual([{ n: 8 }]);
      expect(connections).toBe(2);
    });
  } finally {
    await db.close();
  }
});
