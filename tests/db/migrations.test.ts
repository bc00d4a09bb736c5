// The migrations against a real PostgreSQL: each test database is created fresh and dropped.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { applyMigrations, createMigration, diffMigrationsToSchema, isEmptyMigration, shadowPrefix } from '../../src/db/migrate';

const SERVER_URL =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const ROOT = path.resolve(__dirname, '../..');
const PRISMA_DIR = path.join(ROOT, 'prisma');
const created: string[] = [];

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new empty database on the test server; returns its URL. */
async function freshDatabase(): Promise<string> {
  const name = `test_migrations_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  created.push(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await withAdmin(async (client) => {
    for (const name of created) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
});

describe('migrations', () => {
  let url: string;
  let migrationNames: string[];

  beforeAll(async () => {
    url = await freshDatabase();
    const entries = await readdir(path.join(PRISMA_DIR, 'migrations'), { withFileTypes: true });
    migrationNames = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  });

  it('applies every migration to an empty database', async () => {
    const { applied } = await applyMigrations(url);
    expect(applied).toEqual(migrationNames);
    expect(applied.some((name) => /^\d{14}_init$/.test(name))).toBe(true);
  });

  it('applies nothing the second time', async () => {
    expect(await applyMigrations(url)).toEqual({ applied: [] });
  });

  it('records the history like prisma migrate deploy', async () => {
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      url,
      'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((row) => row.migration_name)).toEqual(migrationNames);
    for (const row of rows) {
      const sql = await readFile(path.join(PRISMA_DIR, 'migrations', row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).not.toBeNull();
    }
  });

  it('creates the tables', async () => {
    const rows = await query<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([
        'users',
        'roles',
        'sessions',
        'refresh_tokens',
        'password_reset_requests',
        'email_claims',
      ]),
    );
  });

  it('makes emails unique regardless of letter case', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const role = await client.query<{ id: number }>("INSERT INTO roles (name) VALUES ('user') RETURNING id");
      const insert = 'INSERT INTO users (username, email, password_hash, role_id) VALUES ($1, $2, $3, $4)';
      const roleId = role.rows[0]?.id;
      await client.query(insert, ['ann', 'A@x.io', 'hash', roleId]);
      await expect(client.query(insert, ['bob', 'a@X.io', 'hash', roleId])).rejects.toMatchObject({
        code: '23505',
        constraint: 'users_email_key',
      });
    } finally {
      await client.end();
    }
  });

  it('reports no drift between the migrations and the schema, and drops its shadow database', async () => {
    // Only this database's shadows: other suites may be diffing on the same server right now.
    const prefix = shadowPrefix(url);
    const watcher = new pg.Client({ connectionString: SERVER_URL });
    await watcher.connect();
    const shadowDatabases = async () => {
      const { rows } = await watcher.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
      return rows.map((row) => row.datname);
    };
    // Watched without pause while the diff runs, to see the shadow database exist.
    const seen = new Set<string>();
    let diffing = true;
    const watching = (async () => {
      while (diffing) for (const name of await shadowDatabases()) seen.add(name);
    })();
    try {
      const sql = await diffMigrationsToSchema(url).finally(() => (diffing = false));
      await watching;
      expect(isEmptyMigration(sql)).toBe(true);
      expect(await shadowDatabases()).toEqual([]);
    } finally {
      await watcher.end();
    }
    // The check above means something only if the shadow database is named as shadowPrefix says.
    expect(seen.size).toBe(1);
  });
});

describe('concurrent migrations', () => {
  it('lets two callers migrate the same fresh database at once', async () => {
    const url = await freshDatabase();
    const results = await Promise.all([applyMigrations(url), applyMigrations(url)]);
    const applied = results.flatMap((result) => result.applied).sort();
    // The advisory lock serialises them: one applies everything, the other finds nothing to do.
    expect(results.map((result) => result.applied.length).sort()).toEqual([0, applied.length]);
    expect(applied.length).toBeGreaterThan(0);
    const rows = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM _prisma_migrations');
    expect(rows[0]?.n).toBe(applied.length);
  });
});

describe('migration scripts', () => {
  let tempDir: string;

  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(tmpdir(), 'migrate-scripts-'));
  });

  afterAll(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });

  it('runs a script with semicolons inside statements as written', async () => {
    const migrationsDir = path.join(tempDir, 'migrations');
    await cp(path.join(PRISMA_DIR, 'migrations'), migrationsDir, { recursive: true });
    const extra = path.join(migrationsDir, '29991231235959_semicolons');
    await mkdir(extra);
    await writeFile(
      path.join(extra, 'migration.sql'),
      [
        `COMMENT ON TABLE "roles" IS 'one; two';`,
        'CREATE FUNCTION answer() RETURNS integer LANGUAGE plpgsql AS $$',
        'BEGIN',
        '  RETURN 42;',
        'END;',
        '$$;',
      ].join('\n'),
    );
    const url = await freshDatabase();
    const { applied } = await applyMigrations(url, { migrationsDir });
    expect(applied).toContain('29991231235959_semicolons');
    const rows = await query<{ comment: string; answer: number }>(
      url,
      "SELECT obj_description('roles'::regclass, 'pg_class') AS comment, answer() AS answer",
    );
    expect(rows[0]).toEqual({ comment: 'one; two', answer: 42 });
  });

  it('applies a migration added after the database was migrated', async () => {
    const migrationsDir = path.join(tempDir, 'added-later');
    await cp(path.join(PRISMA_DIR, 'migrations'), migrationsDir, { recursive: true });
    const url = await freshDatabase();
    await applyMigrations(url, { migrationsDir });
    const extra = path.join(migrationsDir, '29991231235959_added_later');
    await mkdir(extra);
    await writeFile(path.join(extra, 'migration.sql'), `COMMENT ON TABLE "roles" IS 'added later';`);
    expect(await applyMigrations(url, { migrationsDir })).toEqual({ applied: ['29991231235959_added_later'] });
    const rows = await query<{ comment: string }>(url, "SELECT obj_description('roles'::regclass, 'pg_class') AS comment");
    expect(rows[0]?.comment).toBe('added later');
  });

  it('finds an up-to-date database without loading the schema engine', async () => {
    // A child process, whose module cache shows what the check loaded.
    const url = await freshDatabase();
    await applyMigrations(url);
    const program = [
      `require('./src/db/migrate').applyMigrations(${JSON.stringify(url)}).then((r) => console.log(JSON.stringify({`,
      `  ...r, engineLoaded: Object.keys(require.cache).some((file) => file.includes('schema-engine-wasm')) })))`,
    ].join('');
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', program], {
      cwd: ROOT,
      timeout: 20_000,
    });
    expect(JSON.parse(stdout)).toEqual({ applied: [], engineLoaded: false });
  });

  it('lets the process exit as soon as the work is done', async () => {
    // The engine leaves a 10 s timer armed; a child process shows whether it holds the exit.
    const url = await freshDatabase();
    const program = `require('./src/db/migrate').applyMigrations(${JSON.stringify(url)}).then((r) => console.log(JSON.stringify(r)))`;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', program], {
      cwd: ROOT,
      timeout: 20_000,
    });
    expect((JSON.parse(stdout) as { applied: string[] }).applied.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});

describe('drift', () => {
  let tempDir: string;

  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(tmpdir(), 'migrate-drift-'));
  });

  afterAll(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });

  const paths = () => ({ schemaPath: path.join(tempDir, 'schema.prisma'), migrationsDir: path.join(tempDir, 'migrations') });

  it('reports a column that the migrations lack', async () => {
    const schema = await readFile(path.join(PRISMA_DIR, 'schema.prisma'), 'utf8');
    const changed = schema.replace(/(model EmailClaim \{\n)/, '$1  attempts Int @default(0)\n');
    expect(changed).not.toBe(schema);
    await writeFile(paths().schemaPath, changed);
    await cp(path.join(PRISMA_DIR, 'migrations'), paths().migrationsDir, { recursive: true });

    const sql = await diffMigrationsToSchema(SERVER_URL, paths());
    expect(isEmptyMigration(sql)).toBe(false);
    expect(sql).toMatch(/ALTER TABLE "email_claims" ADD COLUMN\s+"attempts" INTEGER NOT NULL DEFAULT 0/);
  });

  it('writes a migration that closes the gap, and none once closed', async () => {
    const dir = await createMigration(SERVER_URL, 'Add attempts', paths());
    expect(dir).not.toBeNull();
    expect(path.basename(dir ?? '')).toMatch(/^\d{14}_add_attempts$/);
    const sql = await readFile(path.join(dir ?? '', 'migration.sql'), 'utf8');
    expect(sql).toContain('"attempts"');
    // Only the first migration creates the citext extension.
    expect(sql).not.toMatch(/CREATE EXTENSION/i);

    expect(isEmptyMigration(await diffMigrationsToSchema(SERVER_URL, paths()))).toBe(true);
    expect(await createMigration(SERVER_URL, 'again', paths())).toBeNull();
  });
});
