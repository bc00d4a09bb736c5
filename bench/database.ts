// The benchmark's own database: created on the DATABASE_URL server, migrated, seeded, and dropped
// at the end whatever happens, so a run leaves nothing behind and never touches real data.
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { applyMigrations } from '../src/db/migrate';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  /** Idempotent; FORCE ends the service's and the baseline's connections if they are still open. */
  drop(): Promise<void>;
}

/** With `migrate: false` the database is left empty, for a peer that creates its own tables. */
export async function createThrowawayDatabase(serverUrl: string, { migrate = true } = {}): Promise<ThrowawayDatabase> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  const database: ThrowawayDatabase = {
    name,
    url: url.toString(),
    drop() {
      dropped ??= adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return dropped;
    },
  };
  if (!migrate) return database;
  try {
    await applyMigrations(database.url);
  } catch (error) {
    await database.drop().catch(() => {});
    throw error;
  }
  return database;
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface SeededUser {
  username: string;
  password: string;
}

export interface Seed {
  users: SeededUser[];
  /** The one bcrypt hash every seeded user shares; the bcrypt baseline compares against it. */
  passwordHash: string;
  password: string;
}

export const SEED_PASSWORD = 'bench-Correct-Horse-Battery-42';

/**
 * Users inserted with SQL rather than registered: registering 200 users would cost 200 hashes.
 * They all share one hash computed once at the bench cost, so a login costs exactly what a real
 * login at that cost does. Must run after the service started: its bootstrap creates the roles.
 */
export async function seedUsers(databaseUrl: string, count: number, bcryptRounds: number, role: string): Promise<Seed> {
  const passwordHash = await bcrypt.hash(SEED_PASSWORD, bcryptRounds);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `INSERT INTO users (username, email, password_hash, role_id)
       SELECT 'bench_user_' || i, 'bench_user_' || i || '@bench.test', $2, r.id
         FROM generate_series(1, $1::int) i, roles r
        WHERE r.name = $3`,
      [count, passwordHash, role],
    );
    if (rowCount !== count) throw new Error(`seeding inserted ${rowCount ?? 0} users instead of ${count}: is there a role "${role}"?`);
  } finally {
    await client.end();
  }
  const users = Array.from({ length: count }, (_, i) => ({ username: `bench_user_${i + 1}`, password: SEED_PASSWORD }));
  return { users, passwordHash, password: SEED_PASSWORD };
}

/** The claims function the asymmetric mode runs: organisation ids and a plan, as the README's example. */
export const BENCH_CLAIMS_FUNCTION = 'public.bench_jwt_claims';

/**
 * For the asymmetric mode: every seeded user gets one granted role and two organisation
 * memberships, and the claims function reads them, so each token costs what a real one would.
 */
export async function seedGrantsAndClaims(databaseUrl: string, grantedRole: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE bench_org_members (user_id integer NOT NULL, org_id integer NOT NULL, PRIMARY KEY (user_id, org_id));
      INSERT INTO bench_org_members SELECT id, id % 7 FROM users UNION ALL SELECT id, 100 + id % 3 FROM users;
      CREATE FUNCTION ${BENCH_CLAIMS_FUNCTION}(user_id integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
          'org_ids', (SELECT coalesce(jsonb_agg(m.org_id ORDER BY m.org_id), '[]'::jsonb) FROM bench_org_members m WHERE m.user_id = $1),
          'plan', 'pro')
      $$;`);
    await client.query(
      `INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r WHERE r.name = $1 AND r.id <> u.role_id`,
      [grantedRole],
    );
  } finally {
    await client.end();
  }
}
