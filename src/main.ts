import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { createLogger, flushLogs } from './logging/logging.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  Logger.overrideLogger(createLogger(config));
  const logger = new Logger('Main');

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPostgresPort,
      systemDir: config.embeddedPostgresSystemDir,
      log: (message) => logger.log(message),
    });
    config = { ...config, databaseUrl: embedded.url };
  }

  const app = await createApp(config);
  if (!config.auth)
    logger.warn(
      'Authentication is off (neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set): every route is open to anyone who can reach the service',
    );
  await app.listen({ port: config.port, host: config.host });
  logger.log(`listening on http://${config.host}:${config.port}`);
  flushLogs();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    // A shutdown that hangs (a database already gone, a request that does not end) must not keep
    // the process alive.
    setTimeout(() => {
      logger.error(`shutdown took longer than SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms); exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}

main().catch((error: unknown) => {
  console.error(`conversation-log failed to start: ${describe(error)}`);
  process.exit(1);
});

/** One line: the error and its causes, never a stack. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.replace(/\s*\n\s*/g, ' | ');
  return error.cause === undefined ? message : `${message}: ${describe(error.cause)}`;
}
