import pg from 'pg';
import type { EmbeddedDatabase } from '../../src/db/embedded';
import { adminUrl, serverUrl } from './urls';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __embedded?: EmbeddedDatabase }).__embedded?.close();
  const server = serverUrl();
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (!server || !template) return;
  const admin = new pg.Client({ connectionString: adminUrl(server) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
