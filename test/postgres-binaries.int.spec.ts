import { chmod, cp, lstat, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  EmbeddedPostgresError,
  postgresBinaries,
  reachable,
  type ServerUser,
  serverUser,
  shippedBinaries,
} from '../src/database/postgres-binaries.js';
import { PostgresServer } from '../src/database/postgres-server.js';
import { freePort } from './support/ports.js';
import { describeAsRoot } from './support/root.js';

/**
 * As root the server runs as "postgres". A package under a directory only root may enter (a
 * checkout in /root, a mkdtemp directory) is copied where that user can run it; real binaries,
 * a real server.
 */
describeAsRoot('PostgreSQL binaries for the "postgres" user, as root', () => {
  let scratch: string;
  let user: ServerUser;
  let privatePackage: { dir: string; version: string };
  let systemDir: string;

  beforeAll(async () => {
    user = (await serverUser())!;
    scratch = await mkdtemp(path.join(tmpdir(), 'conversation-log-binaries-'));
    await chmod(scratch, 0o755);
    const home = await mkdtemp(path.join(scratch, 'home-')); // 0700, as /root
    privatePackage = { dir: path.join(home, 'native'), version: `test-${path.basename(home)}` };
    await cp(shippedBinaries().dir, privatePackage.dir, { recursive: true, verbatimSymlinks: true });
    systemDir = path.join(scratch, 'system');
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('a package the user cannot reach is copied once, runnable by it, lib links kept relative', async () => {
    expect(await reachable(user, path.join(privatePackage.dir, 'bin', 'postgres'))).toBe(false);

    const binDir = await postgresBinaries({ user, systemDir, native: privatePackage });

    const copy = path.join(
      systemDir,
      `postgres-${process.platform}-${process.arch}-${privatePackage.version}`,
    );
    expect(binDir).toBe(path.join(copy, 'bin'));
    expect(await reachable(user, path.join(binDir, 'postgres'))).toBe(true);
    expect(await reachable(user, path.join(copy, 'share', 'postgresql', 'postgres.bki'), '-r')).toBe(true);
    expect((await lstat(path.join(copy, 'lib', 'libpq.so.5'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(copy, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect((await lstat(copy)).uid).toBe(0);

    // Later runs of the same version reuse the copy.
    const marker = path.join(copy, 'kept');
    await writeFile(marker, '');
    expect(await postgresBinaries({ user, systemDir, native: privatePackage })).toBe(binDir);
    expect((await lstat(marker)).isFile()).toBe(true);
  });

  it('a server initialised and started from the copy runs as "postgres" and answers', async () => {
    const binDir = await postgresBinaries({ user, systemDir, native: privatePackage });
    const server = new PostgresServer({
      binDir,
      user,
      clusterDir: path.join(scratch, 'data', 'postgres'),
      port: await freePort(),
      flags: ['-c', 'listen_addresses=127.0.0.1'],
    });
    await server.initialise();
    await server.start();
    try {
      expect(readlinkSync(`/proc/${server.pid}/exe`)).toBe(path.join(binDir, 'postgres'));
      expect((await lstat(`/proc/${server.pid}`)).uid).toBe(user.uid);
      const client = new pg.Client({
        connectionString: `postgres://postgres:postgres@127.0.0.1:${server.options.port}/postgres`,
      });
      await client.connect();
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      await client.end();
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('a package the user can reach is used where it is', async () => {
    const open = { dir: path.join(scratch, 'open', 'native'), version: 'test-open' };
    await cp(privatePackage.dir, open.dir, { recursive: true, verbatimSymlinks: true });
    expect(await postgresBinaries({ user, systemDir, native: open })).toBe(path.join(open.dir, 'bin'));
  });

  it('when no copy can be written: one line saying why and what to do', async () => {
    const file = path.join(scratch, 'a-file');
    await writeFile(file, '');
    const native = { ...privatePackage, version: 'test-unwritable' };
    const failure = postgresBinaries({ user, systemDir: path.join(file, 'system'), native });
    await expect(failure).rejects.toBeInstanceOf(EmbeddedPostgresError);
    const message = await failure.catch((error: Error) => error.message);
    expect(message).not.toContain('\n');
    expect(message).toContain(privatePackage.dir);
    expect(message).toContain('DATABASE_URL');
  });
});
