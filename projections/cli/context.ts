import pg from 'pg';
import { type Config } from '../../src/config/config.js';
import type { EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { migrate } from '../../src/database/migrations.js';
import type { EventStore } from '../../src/event-store/event-store.port.js';
import { EVENT_STORE_MIGRATIONS } from '../../src/event-store/postgres/event-store.schema.js';
import { createEventStore } from '../../src/event-store/event-store.module.js';
import { PROJECTIONS, PROJECTOR_MIGRATIONS } from '../registry.js';
import { ensureLiveGeneration } from '../projector/generations.js';

/** What every command works with. Results go to stdout; notes and progress to stderr. */
export interface Cli {
  db: Database;
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal;
  stderr: NodeJS.WriteStream;
  print(text: string): void;
  note(text: string): void;
}

/** The command stopped because it was asked to (Ctrl-C): exit status 130. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export function throwIfInterrupted(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted('interrupted');
}

/**
 * Aborted on the first SIGINT or SIGTERM, so the command stops cleanly; a second one exits at once
 * with `exitCode`.
 */
export function abortOnSignals(exitCode: number): AbortController {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(exitCode);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

/** Waits `ms`, or less when the command is interrupted. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export interface Database {
  url: string;
  pool: pg.Pool;
  store: EventStore;
  close(): Promise<void>;
}

/**
 * The service's database, reached the way the service reaches it: DATABASE_URL, or the embedded
 * PostgreSQL under DATA_DIR (shared with a running service, else started here and stopped at
 * close). The schema is brought to what this code expects, as a starting service would.
 */
export async function openDatabase(
  config: Config,
  log: (message: string) => void,
  applicationName = 'projections-cli',
): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    // Loaded only when needed: it registers a hook that stops its server when the process exits.
    const { startEmbeddedPostgres } = await import('../../src/database/embedded-postgres.js');
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPostgresPort,
      systemDir: config.embeddedPostgresSystemDir,
      log,
    });
    url = embedded.url;
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 5_000,
    application_name: applicationName,
  });
  pool.on('error', () => undefined);
  const store = await createEventStore(pool, config);
  const close = async () => {
    await store.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await embedded?.stop();
  };
  try {
    // Same set names as the service's modules, so either side finds the other's work done.
    await migrate(pool, [EVENT_STORE_MIGRATIONS, PROJECTOR_MIGRATIONS]);
    const client = await pool.connect();
    try {
      for (const projection of PROJECTIONS) await ensureLiveGeneration(client, projection);
    } finally {
      client.release();
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { url, pool, store, close };
}

/** Where the command works, without credentials, for its messages. */
export function databaseTarget(config: Config): string {
  if (!config.databaseUrl) return `the embedded PostgreSQL under ${config.dataDir} (DATA_DIR)`;
  const url = new URL(config.databaseUrl);
  return `${url.host}${url.pathname} (DATABASE_URL)`;
}
