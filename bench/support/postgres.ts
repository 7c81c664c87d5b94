import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { streamNameOf } from '../../src/conversation/conversation-stream.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { freePort } from '../../test/support/ports.js';

/**
 * Clients and pools whose connection drops (the server stopping on Ctrl-C) must not crash the
 * process with an unhandled 'error' event before it has cleaned up; the query in flight fails anyway.
 */
export function newClient(url: string): pg.Client {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  return client;
}

export function newPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

/** The conversations whose project id starts with `prefix`, and how many events they hold. */
export async function conversationsStartingWith(
  databaseUrl: string,
  prefix: string,
): Promise<{ streams: number; events: number }> {
  const client = newClient(databaseUrl);
  await client.connect();
  try {
    const { rows } = await client.query<{ streams: string; events: string | null }>(
      'SELECT count(*) AS streams, sum(revision + 1) AS events FROM es_streams WHERE starts_with(stream_name, $1)',
      [streamNameOf(prefix)],
    );
    return { streams: Number(rows[0]?.streams ?? 0), events: Number(rows[0]?.events ?? 0) };
  } finally {
    await client.end();
  }
}

export interface BenchPostgres {
  version: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * Lets the server finish what earlier scenarios left it (a checkpoint of their writes, autovacuum
   * of their tables, for at most `maxWaitMs`), so that the next is measured on a settled server as
   * it would be alone. Resolves to the milliseconds it took.
   */
  settle(maxWaitMs?: number): Promise<number>;
  /** Drops a database createDatabase made (its URL), unless a client is still connected to it. */
  dropDatabase(url: string): Promise<void>;
  stop(): Promise<void>;
}

/** DATABASE_URL when set (databases created there are dropped at the end), else an embedded server. */
export async function startPostgres(log: (message: string) => void): Promise<BenchPostgres> {
  const external = process.env.DATABASE_URL?.trim();
  if (external) return onServer(external, async () => undefined, true);

  const dataDir = await mkdtemp(path.join(tmpdir(), 'conversation-log-bench-'));
  try {
    // mkdtemp makes it private; run as root, the server runs as "postgres" and must get in.
    await chmod(dataDir, 0o755);
    // However the run ends (the server is stopped as the process exits), the data must go too.
    process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const server = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', log });
    return await onServer(
      server.url,
      async () => {
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
      false,
    );
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function onServer(adminUrl: string, stopServer: () => Promise<void>, dropOnStop: boolean) {
  const admin = newClient(adminUrl);
  try {
    await admin.connect();
  } catch (error) {
    await stopServer();
    throw error;
  }
  const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
  const prefix = `bench_${Date.now().toString(36)}`;
  const created: string[] = [];
  let stopped = false;

  return {
    version: rows[0]?.server_version ?? 'unknown',
    async createDatabase(name: string): Promise<string> {
      const database = `${prefix}_${name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`.slice(0, 63);
      await admin.query(`CREATE DATABASE "${database}"`);
      created.push(database);
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      return url.toString();
    },
    async dropDatabase(url: string): Promise<void> {
      const database = decodeURIComponent(new URL(url).pathname.slice(1));
      if (!created.includes(database)) return;
      // Not forced: a client some baseline left connected (its pool is the bench process's own) would
      // be cut off under it. Such a database stays until the run ends.
      const dropped = await admin.query(`DROP DATABASE IF EXISTS "${database}"`).then(
        () => true,
        () => false,
      );
      if (dropped) created.splice(created.indexOf(database), 1);
    },
    async settle(maxWaitMs = 60_000): Promise<number> {
      const began = Date.now();
      // A server that is not ours may not let this user checkpoint: then only autovacuum is waited for.
      await admin.query('CHECKPOINT').catch(() => undefined);
      while (Date.now() - began < maxWaitMs) {
        const { rows } = await admin.query<{ workers: number }>(
          `SELECT count(*)::int AS workers FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`,
        );
        if ((rows[0]?.workers ?? 0) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return Date.now() - began;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      try {
        if (dropOnStop) {
          for (const database of created) {
            await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
          }
        }
        await admin.end().catch(() => undefined);
      } finally {
        await stopServer();
      }
    },
  } satisfies BenchPostgres;
}
