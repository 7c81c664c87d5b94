import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectId, readAllEvents, request } from './support/http.js';
import { freePort } from './support/ports.js';
import { type RunningService, startService } from './support/service.js';

/** The service on its embedded PostgreSQL, data kept in a directory that outlives the process. */
describe('durability on the embedded PostgreSQL', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let service: RunningService | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'conversation-log-data-'));
    await chmod(dataDir, 0o755); // mkdtemp's 0700 would keep out the postgres user the server runs as
    env = { DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()), DATABASE_URL: '' };
  });
  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stop and start on the same data directory: nothing lost, sequences continue', async () => {
    service = await startService(env);
    const p = projectId('restart');
    for (let i = 0; i < 10; i++) {
      expect(
        (await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: `m${i}` })).status,
      ).toBe(201);
    }
    await service.stop();

    service = await startService(env);
    const events = await readAllEvents(service.baseUrl, p);
    expect(events.map((e) => e.data.content)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    const next = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
      content: 'after restart',
    });
    expect(next.status).toBe(201);
    expect(next.body.sequence).toBe(10);
  });

  it('kill -9 under load: every acknowledged message is in the log after restart', async () => {
    service ??= await startService(env);
    const p = projectId('crash');
    const acknowledged = new Map<string, number>();
    let crashed = false;
    const client = async (c: number) => {
      for (let i = 0; !crashed || i < 5; i++) {
        const id = randomUUID();
        try {
          const res = await request(service!.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
            id,
            content: `c${c} m${i}`,
          });
          if (res.status === 201) acknowledged.set(id, res.body.sequence);
        } catch {
          return; // the connection died with the process: this message was not acknowledged
        }
      }
    };
    const clients = Array.from({ length: 16 }, (_, c) => client(c));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    crashed = true;
    await service.kill();
    await Promise.all(clients);
    expect(acknowledged.size).toBeGreaterThan(100);

    // The orphaned PostgreSQL of the killed service is found and restarted cleanly.
    service = await startService(env);
    const events = await readAllEvents(service.baseUrl, p);
    const stored = new Map(events.map((e) => [e.data.messageId as string, e.revision as number]));
    for (const [id, sequence] of acknowledged) expect(stored.get(id)).toBe(sequence);
    expect(stored.size).toBe(events.length);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
    const next = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
      content: 'after crash',
    });
    expect(next.body.sequence).toBe(events.length);
  });
});
