import { messagesProjection } from '../projections/messages/messages.projection.js';
import pg from 'pg';
import { PROJECTOR_LOCK_CLASS } from '../src/database/advisory-locks.js';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

/**
 * The projections' operations API. The test holds the projector's election lock while the
 * service starts, so no projector of the service is active and a requested rebuild stays under
 * way until the test lets go.
 */
let service: RunningService;
let databaseUrl: string;
let holder: pg.Client;
let held = false;

const get = (path: string) => request(service.baseUrl, 'GET', path);
const post = (path: string, body?: unknown) => request(service.baseUrl, 'POST', path, body);

async function release(): Promise<void> {
  if (!held) return;
  held = false;
  await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PROJECTOR_LOCK_CLASS, 'messages']);
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('projections_api');
  holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [PROJECTOR_LOCK_CLASS, 'messages']);
  held = true;
  service = await startService({ DATABASE_URL: databaseUrl });
});
afterAll(async () => {
  await release().catch(() => undefined);
  await service?.stop();
  await holder?.end();
});

/** Waits until `count` sessions of the test database wait for a lock. */
async function waitingBackends(count: number): Promise<void> {
  const observer = new pg.Client({ connectionString: databaseUrl });
  await observer.connect();
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await observer.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if ((rows[0]?.waiting ?? 0) >= count) return;
      if (Date.now() > deadline) throw new Error(`${rows[0]?.waiting} sessions wait, not ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await observer.end();
  }
}

/** Polls one projection's status until `done` holds (at most 15 s). */
async function until(done: (status: any) => boolean): Promise<any> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await get('/v1/projections/messages');
    expect(res.status).toBe(200);
    if (done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('projections: generations and rebuilds', () => {
  it('GET /v1/projections shows the live generation, and no rebuild', async () => {
    const res = await get('/v1/projections');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      expect.objectContaining({
        name: 'messages',
        version: messagesProjection.version,
        generation: 1,
        rebuild: null,
      }),
    ]);
  });

  it('GET /v1/projections/{name} is that projection alone; an unknown name is a 404 problem', async () => {
    const one = await get('/v1/projections/messages');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      name: 'messages',
      version: messagesProjection.version,
      generation: 1,
      rebuild: null,
    });
    expect(Object.keys(one.body).sort()).toEqual(Object.keys((await get('/v1/projections')).body[0]).sort());

    const unknown = await get('/v1/projections/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unknown.body).toMatchObject({ status: 404, type: expect.stringMatching(/projection-not-found$/) });
  });

  it('rebuild: 202 naming the new generation, with Location; requests while it is under way name the same one', async () => {
    // Requests that arrive together, before any build exists, start one build between them. They
    // are made to meet: the generations' rows are held until all of them wait.
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM projection_generations FOR UPDATE`);
    const pending = Array.from({ length: 8 }, () => post('/v1/projections/messages/rebuild'));
    await waitingBackends(8);
    await holder.query('COMMIT');
    const together = await Promise.all(pending);
    for (const res of together) {
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ name: 'messages', version: messagesProjection.version, generation: 2 });
      expect(res.headers.get('location')).toBe('/v1/projections/messages');
    }

    const location = together[0]!.headers.get('location')!;
    const status = await get(location);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      name: 'messages',
      generation: 1,
      status: 'rebuilding',
      rebuild: expect.objectContaining({ generation: 2, version: messagesProjection.version }),
    });
    const [listed] = (await get('/v1/projections')).body;
    expect(listed).toMatchObject({ generation: 1, rebuild: expect.objectContaining({ generation: 2 }) });

    const again = await post('/v1/projections/messages/rebuild', {});
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ name: 'messages', version: messagesProjection.version, generation: 2 });
  });

  it('the switch shows as the new generation; a rebuild after it makes a newer one', async () => {
    const p = projectId('gen');
    const written = await post(`/v1/projects/${p}/messages`, { content: 'kept' });
    expect(written.status).toBe(201);

    await release();
    const switched = await until((s) => s.rebuild === null);
    expect(switched).toMatchObject({ name: 'messages', generation: 2, status: 'running' });
    expect((await get('/v1/projections')).body[0]).toMatchObject({ generation: 2, rebuild: null });
    const page = await get(`/v1/projects/${p}/messages?minRevision=0`);
    expect(page.body.data.map((m: any) => m.content)).toEqual(['kept']);

    const next = await post('/v1/projections/messages/rebuild');
    expect(next.status).toBe(202);
    expect(next.body).toEqual({ name: 'messages', version: messagesProjection.version, generation: 3 });
    expect(await until((s) => s.rebuild === null)).toMatchObject({ generation: 3 });
  });

  it('404 problem for rebuilding an unknown projection', async () => {
    const res = await post('/v1/projections/nope/rebuild');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
