import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectId, readAllEvents, request } from './support/http.js';
import { logEntries } from './support/logs.js';
import { freePort } from './support/ports.js';
import { describeAsRoot } from './support/root.js';
import { type RunningService, startService } from './support/service.js';

function run(file: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.resolve(file), ...args], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * As root the embedded server runs as "postgres", which cannot enter a directory only root may
 * (a checkout under /root; mkdtemp makes such directories). The data then lives under the system
 * directory, and everything the service does with it keeps working.
 */
describeAsRoot('the embedded PostgreSQL as root, DATA_DIR where "postgres" cannot go', () => {
  let privateDir: string;
  let systemDir: string;
  let env: Record<string, string>;
  let service: RunningService | undefined;
  const p = projectId('root');

  beforeAll(async () => {
    privateDir = await mkdtemp(path.join(tmpdir(), 'conversation-log-private-'));
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    systemDir = await mkdtemp(path.join(tmpdir(), 'conversation-log-system-'));
    await chmod(systemDir, 0o755);
    env = {
      DATABASE_URL: '',
      DATA_DIR: path.join(privateDir, 'app', '.data'),
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      EMBEDDED_POSTGRES_SYSTEM_DIR: systemDir,
      NO_COLOR: '1',
      // The start-up lines read below are at info.
      LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    await service?.stop();
    await rm(privateDir, { recursive: true, force: true });
    await rm(systemDir, { recursive: true, force: true });
  });

  it('serves, says where the data is, and keeps it across a restart', async () => {
    service = await startService(env);
    const messages = logEntries(service.output()).map((entry) => entry.message);
    const where = /its data is kept in (\S+)/.exec(messages.join('\n'))?.[1];
    expect(where).toMatch(new RegExp(`^${systemDir}/data-[0-9a-f]{12}/postgres$`));
    expect(existsSync(path.join(where!, 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(env.DATA_DIR!, 'postgres'))).toBe(false);
    const first = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'one' });
    expect(first.status).toBe(201);
    await service.stop();

    service = await startService(env);
    expect(service.output()).toContain(`its data is kept in ${where}`);
    const second = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'two' });
    expect(second.body.sequence).toBe(1);
    const page = await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages?minRevision=1`);
    expect(page.body.data.map((m: any) => m.content)).toEqual(['one', 'two']);
  });

  it('the projections CLI shares the running server', async () => {
    service ??= await startService(env);
    const { code, output } = await run('dist/projections/cli/main.js', ['status'], env);
    expect(output).toContain(`already run by process ${service.child.pid}`);
    expect(code).toBe(0);
  });

  it('after kill -9, the orphaned server is stopped cleanly and started again on the same data', async () => {
    service ??= await startService(env);
    await service.kill();
    service = await startService(env);
    expect(service.output()).toContain('left running by a previous crash');
    const events = await readAllEvents(service.baseUrl, p);
    expect(events.map((e) => e.data.content)).toEqual(['one', 'two']);
  });

  it('a DATA_DIR that becomes reachable later keeps its data where it was put', async () => {
    await service?.stop();
    await chmod(privateDir, 0o755);
    service = await startService(env);
    expect(service.output()).toContain(`DATA_DIR ${env.DATA_DIR} was out of that user's reach before`);
    const events = await readAllEvents(service.baseUrl, p);
    expect(events.map((e) => e.data.content)).toEqual(['one', 'two']);
  });

  it('when the system directory cannot be written either: one line, and a non-zero exit', async () => {
    const file = path.join(systemDir, 'a-file');
    await writeFile(file, '');
    const dataDir = path.join(await mkdtemp(path.join(systemDir, 'private-')), '.data');
    const { code, output } = await run('dist/src/main.js', [], {
      ...env,
      DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      EMBEDDED_POSTGRES_SYSTEM_DIR: path.join(file, 'system'),
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(/^conversation-log failed to start: DATA_DIR .* or set DATABASE_URL$/),
    ]);
    expect(output).toContain(dataDir);
  });
});
