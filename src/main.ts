// `npm start`: configuration, start-up, and a graceful stop on SIGTERM/SIGINT.
import 'reflect-metadata';
import { loadCommandConfig } from './development-secrets';
import { createLogger } from './logger';
import { startService } from './service';

async function main(): Promise<void> {
  const config = loadCommandConfig();
  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'could not start');
    process.exit(1);
  });
  logger.info(
    { url: `${service.url}/graphql`, playground: config.http.playground ? `${service.url}/graphql` : undefined },
    `auth service ready at ${service.url}/graphql`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
