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

const TABLES = ['provider_sign_in_codes', 'provider_sign_in_requests', 'user_identities', 'email_claims', 'refresh_tokens', 'sessions', 'password_reset_requests', 'users', 'roles', 'rate_limits'];

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = serverUrl();
  if (!server) {
    const url = process.env.TEST_EMBEDDED_URL;
    if (!url) throw new Error('the embedded test database was not started (tests/support/global-setup.ts)');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`);
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
