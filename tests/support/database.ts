// A fresh, migrated database for one test file.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminUrl, serverUrl } from './urls';

export interface TestDatabase {
  url: string;
  /** 1 on the embedded database, which is one session. */
  poolMax: number;
  embedded: boolean;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = serverUrl();
  if (!server) {
    const url = process.env.TEST_EMBEDDED_URL;
    if (!url) throw new Error('the embedded test database was not started (tests/support/global-setup.ts)');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Every table the migrations made, except their own history: a new table is emptied too.
      const { rows } = await client.query<{ name: string }>(
        `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
      );
      await client.query(`TRUNCATE ${rows.map((row) => row.name).join(', ')} RESTART IDENTITY CASCADE`);
    } finally {
      await client.end();
    }
    return { url, poolMax: 1, embedded: true, drop: async () => {} };
  }
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (!template) throw new Error('the template test database was not created (tests/support/global-setup.ts)');
  const name = `auth_test_${randomBytes(6).toString('hex')}`;
  await admin(server, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    poolMax: 10,
    embedded: false,
    drop: () => admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(server) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
