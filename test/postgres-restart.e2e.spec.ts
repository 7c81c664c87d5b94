import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postgresBinaries, serverUser } from '../src/database/postgres-binaries.js';
import { PostgresServer } from '../src/database/postgres-server.js';
import { projectId, request } from './support/http.js';
import { logEntries, STACK_LINE } from './support/logs.js';
import { freePort } from './support/ports.js';
import { type RunningService, startService } from './support/service.js';

/** A PostgreSQL of this test's own, so it can be stopped and started under the service. */
describe('PostgreSQL restarts under a running service', () => {
  let dataDir: string;
  let database: PostgresServer;
  let service: RunningService;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'conversation-log-restart-'));
    await chmod(dataDir, 0o755);
    const port = await freePort();
    const user = await serverUser();
    database = new PostgresServer({
      binDir: await postgresBinaries({ user }),
      user,
      clusterDir: path.join(dataDir, 'pg'),
      port,
    });
    await database.initialise();
    await database.start();
    service = await startService({ DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  });
  afterAll(async () => {
    await service?.stop();
    await database?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, then writes, projects and reads again', async () => {
    const p = projectId('restart');
    const before = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
      content: 'before',
    });
    expect(before.status).toBe(201);

    await database.stop();
    const write = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
      content: 'while down',
    });
    expect(write.status).toBe(503);
    expect(write.headers.get('retry-after')).toBeTruthy();
    expect(write.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(write.body.detail).toMatch(/nothing was appended|whether it was stored is unknown/);
    const read = await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages`);
    expect(read.status).toBe(503);
    // A read of the event log says what is wrong, and nothing about appends.
    const events = await request(service.baseUrl, 'GET', `/v1/projects/${p}/events`);
    expect(events.status).toBe(503);
    expect(events.headers.get('retry-after')).toBeTruthy();
    expect(events.body.detail).toBe('The event store is unreachable');
    const notReady = await request(service.baseUrl, 'GET', '/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('retry-after')).toBeTruthy();
    expect(notReady.body.checks).toMatchObject({ database: 'failed', eventStore: 'failed' });
    expect(notReady.body.details.database).toMatchObject({ status: 'down' });

    await database.start();
    let after = write;
    for (let attempt = 0; attempt < 50 && after.status !== 201; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'after' });
    }
    expect(after.status).toBe(201);
    expect(after.body.sequence).toBe(1);
    const revision = after.headers.get('etag')?.replaceAll('"', '');
    const page = await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages?minRevision=${revision}`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((m: any) => m.content)).toEqual(['before', 'after']);
    // Ready again once the projector has reconnected and caught up.
    let ready = notReady;
    for (let attempt = 0; attempt < 50 && ready.status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ready = await request(service.baseUrl, 'GET', '/health/ready');
    }
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');

    // Unavailability is a warning, one line each, with no stack; nothing of it is an error.
    const entries = logEntries(service.output());
    const unavailable = entries.filter((entry) => entry.context === 'HTTP' && / → 503 /.test(entry.message));
    expect(unavailable.length).toBeGreaterThanOrEqual(3);
    for (const entry of unavailable) {
      expect(entry.level).toBe('WARN');
      expect(entry.message).not.toMatch(STACK_LINE);
    }
    expect(entries.filter((entry) => entry.level === 'ERROR')).toEqual([]);
    // The projector tries again about once a second, not in a tight loop.
    expect(entries.filter((entry) => entry.context === 'Projector').length).toBeLessThanOrEqual(5);
  });
});
