// The Dockerfile, checked without Docker: its structure (non-root, healthcheck on /readyz, no
// sources or dev dependencies in the runtime image), then its stages replayed in directories
// (tests/support/dockerfile.ts): the build stage must produce exactly what `npm run build`
// produces, and the runtime stage's files must start, migrate, serve and stop.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { emulateBuild, execForm, listFiles, parseDockerfile, splitFlags, type EmulatedStage } from '../support/dockerfile';
import { REGISTER } from '../support/operations';
import { TEST_AUTH_SECRET, TEST_JWT_KEY, TEST_WEBHOOK_SECRET } from '../support/service';
import { adminUrl, serverUrl } from '../support/urls';

const ROOT = path.resolve(__dirname, '../..');
const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

function stage(name: string) {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
}
const runtime = () => dockerfile.stages[dockerfile.stages.length - 1]!;
const args = (s: ReturnType<typeof stage>, keyword: string) => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** The environment of a child process, without the suite's database and secrets. */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !/^(DATABASE_URL|TEST_|NODE_ENV|HASURA_|EVENT_WEBHOOK|JEST|PORT|HOST)/.test(e[0]),
    ),
  );
}

describe('the Dockerfile', () => {
  it('builds on Node 20 in every stage and runs `npm run build` — the same build as package.json', () => {
    for (const s of dockerfile.stages) {
      const base = dockerfile.stages.some((other) => other.name === s.from) ? undefined : s.from;
      if (base) expect(base).toMatch(/^node:20([.-]|$)/);
    }
    expect(args(stage('build'), 'RUN')).toEqual(['npm run build']);
    expect(packageJson.scripts.build).toBe('tsc -p tsconfig.build.json');
  });

  it('runs as an unprivileged user, with CMD node [V8 flags] dist/main.js and a healthcheck on /readyz', () => {
    const final = runtime();
    const user = args(final, 'USER').pop();
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    const cmd = execForm(args(final, 'CMD').pop() ?? '') ?? [];
    expect(cmd[0]).toBe('node');
    expect(cmd.at(-1)).toBe('dist/main.js');
    for (const flag of cmd.slice(1, -1)) expect(flag).toMatch(/^--[a-z-]+(=\S+)?$/);
    const healthcheck = args(final, 'HEALTHCHECK').pop() ?? '';
    expect(healthcheck).toContain('/readyz');
    expect(args(final, 'EXPOSE')).toEqual(['4000']);
    expect(args(final, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
  });

  it('ships production dependencies, dist and the migrations — no sources, no dev dependencies', () => {
    const final = runtime();
    const copies = args(final, 'COPY').map((a) => splitFlags(a));
    const sources = copies.map((c) => `${c.flags.from ?? 'context'}:${c.rest.split(/\s+/)[0]}`);
    expect(sources.sort()).toEqual(['build:/app/dist', 'context:package.json', 'context:prisma/migrations', 'prod-deps:/app/node_modules'].sort());
    const install = args(stage('prod-deps'), 'RUN');
    expect(install).toEqual([expect.stringMatching(/^npm ci /)]);
    // --omit=dev alone would still install the Prisma CLI and TypeScript (optional peers of @prisma/client).
    for (const flag of ['--omit=dev', '--omit=optional', '--omit=peer', '--ignore-scripts']) expect(install[0]).toContain(flag);
    expect(final.instructions.some((i) => i.keyword === 'RUN')).toBe(false);
  });
});

describe('the Dockerfile stages, replayed', () => {
  let work: string;
  let stages: Map<string, EmulatedStage>;
  let db: TestDatabase;

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'auth-docker-'));
    stages = emulateBuild(dockerfile, { contextDir: ROOT, workDir: work, nodeModules: path.join(ROOT, 'node_modules'), env: cleanEnv() });
  }, 180_000);
  afterAll(async () => {
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('the build stage produces exactly what `npm run build` produces', () => {
    const reference = path.join(work, 'npm-run-build');
    // `npm run build` with the output redirected, so the working tree's dist/ is left alone.
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', reference], { cwd: ROOT, env: cleanEnv(), stdio: 'pipe' });
    const built = path.join(stages.get('build')!.dir, 'dist');
    const files = listFiles(built);
    expect(files).toContain('main.js');
    expect(files).toContain(path.join('db', 'generated', 'client.js'));
    expect(files).toEqual(listFiles(reference));
    for (const file of files) {
      const ours = comparable(built, file, stages.get('build')!.dir);
      expect({ file, same: ours === comparable(reference, file, ROOT) }).toEqual({ file, same: true });
    }
  }, 120_000);

  it('dist requires only Node built-ins and production dependencies', () => {
    const dist = path.join(stages.get('runtime')!.dir, 'dist');
    const required = new Set<string>();
    for (const file of listFiles(dist).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(path.join(dist, file), 'utf8');
      for (const match of code.matchAll(/require(?:\.resolve)?\(\s*["']([^"'.][^"']*)["']\s*\)/g)) required.add(match[1]!);
    }
    const packages = [...required]
      .filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))
      .map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!));
    expect([...new Set(packages)].filter((name) => !(name in packageJson.dependencies))).toEqual([]);
  });

  it('the runtime stage starts, migrates, answers its healthcheck, serves GraphQL and stops on SIGTERM', async () => {
    // On PostgreSQL an EMPTY database, so the shipped migrations must run; the embedded one is shared and migrated.
    db = serverUrl() ? await emptyDatabase(serverUrl()!) : await createTestDatabase();
    const final = stages.get('runtime')!;
    const port = await freePort();
    const env = {
      ...cleanEnv(),
      ...final.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: String(db.poolMax),
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: TEST_JWT_KEY }),
      EVENT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      AUTH_SECRET: TEST_AUTH_SECRET,
      BCRYPT_ROUNDS: '10',
    };
    const [command, ...commandArgs] = final.cmd!;
    const child = spawn(command === 'node' ? process.execPath : command!, commandArgs, { cwd: final.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(() => output.includes('auth service ready'), () => `not ready:\n${output}`);
      const [hc, ...hcArgs] = final.healthcheck!;
      const health = spawnSync(hc === 'node' ? process.execPath : hc!, hcArgs, { cwd: final.dir, env, timeout: 10_000 });
      expect(health.status).toBe(0);

      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: REGISTER, variables: { arg: { username: 'docker', email: 'docker@example.com', password: 'a container password' } } }),
      });
      const body = (await response.json()) as { data?: { user_register: { id: number } }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(body.data?.user_register.id).toBeGreaterThan(0);

      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const migrations = await client.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations').finally(() => client.end());
      expect(migrations.rows.length).toBeGreaterThan(0);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});

/**
 * A built file's content; for source maps, with `sources` made relative to the project they were
 * built from, since the reference build's outDir sits elsewhere.
 */
function comparable(outDir: string, file: string, projectRoot: string): string {
  const content = readFileSync(path.join(outDir, file), 'utf8');
  if (!file.endsWith('.map')) return content;
  const map = JSON.parse(content) as { sources: string[] };
  map.sources = map.sources.map((s) => path.relative(projectRoot, path.resolve(path.dirname(path.join(outDir, file)), s)));
  return JSON.stringify(map);
}

async function emptyDatabase(server: string): Promise<TestDatabase> {
  const name = `auth_test_docker_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl(server) });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), poolMax: 5, embedded: false, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(condition: () => boolean, message: () => string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(message());
    await new Promise((r) => setTimeout(r, 50));
  }
}
