// Start-up in order: database (embedded when DATABASE_URL is unset), migrations, bootstrap data,
// HTTP. The returned `stop` undoes it in reverse. main.ts adds the process concerns (signals,
// exit codes); tests call this directly.
import path from 'node:path';
import { bootstrap } from './auth/bootstrap';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import { openDatabase, type Database } from './db/database';
import { EMBEDDED_POOL_MAX, startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded';
import { applyMigrations } from './db/migrate';
import type { Logger } from './logger';
import { createServer, type AuthServer } from './server';
import { createServices, type Services } from './services';

export interface RunningService {
  services: Services;
  server: AuthServer;
  /** e.g. http://localhost:4000 */
  url: string;
  stop(): Promise<void>;
}

export async function startService(config: Config, logger: Logger, clock: Clock = systemClock): Promise<RunningService> {
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase({
      dataDir: path.join(config.database.dataDir, 'pglite'),
      log: (msg) => logger.debug(msg),
    });
    databaseUrl = embedded.url;
    logger.info({ dataDir: config.database.dataDir }, 'using the embedded database (set DATABASE_URL for PostgreSQL)');
  }
  let db: Database | undefined;
  try {
    // The embedded database is always migrated: nobody else can migrate it.
    if (config.database.migrateOnStart || embedded) {
      const { applied } = await applyMigrations(databaseUrl, { log: (msg) => logger.debug(msg) });
      if (applied.length) logger.info({ migrations: applied }, 'applied database migrations');
    }
    db = openDatabase({
      url: databaseUrl,
      poolMax: embedded ? EMBEDDED_POOL_MAX : config.database.poolMax,
      onError: (err) => logger.warn({ err }, 'database connection lost'),
    });
    const services = createServices(config, db, clock, logger);
    const { adminCreated } = await bootstrap(db, services.hasher, services.policy, {
      // Anonymous users need their role to exist before the first one signs in.
      roles: config.anonymous.enabled ? [...config.roles.all, config.anonymous.role] : config.roles.all,
      defaultRole: config.roles.default,
      admin: config.admin,
    });
    if (adminCreated) logger.info({ username: config.admin?.username }, 'created the admin user');

    const server = await createServer(services, logger);
    const port = await server.listen(config.http.port);
    let stopped: Promise<void> | undefined;
    return {
      services,
      server,
      url: `http://localhost:${port}`,
      stop() {
        stopped ??= server.stop().finally(() => embedded?.close());
        return stopped;
      },
    };
  } catch (error) {
    // A start-up step failing after the pool opened (e.g. a broken email template) must not leave it open.
    await db?.close();
    await embedded?.close();
    throw error;
  }
}
