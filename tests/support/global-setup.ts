// Runs once before the suite: prepares one migrated database that every test file copies.
// With TEST_DATABASE_URL or DATABASE_URL: a template database on that PostgreSQL server, cloned
// per test file (CREATE DATABASE … TEMPLATE, ~0.1 s). Without: the embedded PGlite database,
// shared by the files (jest runs them one at a time) and emptied between them.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase } from '../../src/db/embedded';
import { applyMigrations } from '../../src/db/migrate';
import { adminUrl, serverUrl } from './urls';

export default async function globalSetup(): Promise<void> {
  const server = serverUrl();
  if (!server) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'auth-test-pglite-'));
    const embedded = await startEmbeddedDatabase({ dataDir });
    await applyMigrations(embedded.url);
    (globalThis as { __embedded?: typeof embedded }).__embedded = embedded;
    process.env.TEST_EMBEDDED_URL = embedded.url;
    return;
  }
  const template = `auth_test_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl(server) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${template}`;
  await applyMigrations(url.toString());
  process.env.TEST_TEMPLATE_DATABASE = template;
}
