import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { runCli } from './support/cli.js';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { openSse } from './support/sse.js';

/** Two instances of the service on one database: an erasure on one is seen by both. */
let databaseUrl: string;
let a: RunningService;
let b: RunningService;
let db: pg.Pool;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('erasure');
  a = await startService({ DATABASE_URL: databaseUrl });
  b = await startService({ DATABASE_URL: databaseUrl });
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.end();
});

const post = (service: RunningService, p: string, content: string) =>
  request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content });
const erase = (service: RunningService, p: string) => request(service.baseUrl, 'DELETE', `/v1/projects/${p}`);

/** Until the live projection has applied every event of the log. */
async function projected(service: RunningService): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [status] = (await request(service.baseUrl, 'GET', '/v1/projections')).body;
    if (status.lag === 0 && status.rebuild === null) return;
    if (Date.now() > deadline) throw new Error(`not projected: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Events of the project's stream in the log, and its rows in every generation of the read model. */
async function remains(p: string): Promise<{ events: number; rows: number }> {
  const events = await db.query<{ n: string }>('SELECT count(*) AS n FROM es_events WHERE stream_name = $1', [
    `conversation-${p}`,
  ]);
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relname ~ '^rm_(messages|projects)_g[0-9]+$'`,
  );
  let rows = 0;
  for (const { name } of tables) {
    const found = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${name} WHERE project_id = $1`, [
      p,
    ]);
    rows += Number(found.rows[0]?.n);
  }
  return { events: Number(events.rows[0]?.n), rows };
}

/** Rows of any table of the database whose text holds the marker. */
async function rowsHolding(marker: string): Promise<string[]> {
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
  );
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${name} t WHERE strpos(t::text, $1) > 0`,
      [marker],
    );
    if (Number(rows[0]?.n) > 0) found.push(name);
  }
  return found;
}

function expectErased(response: { status: number; body: any }): void {
  expect(response.status).toBe(410);
  expect(response.body.type).toBe('/problems/project-erased');
}

describe('DELETE /v1/projects/{projectId}', () => {
  it('answers 204, again and again, also for a project never written', async () => {
    const p = projectId('again');
    expect((await post(a, p, 'hello')).status).toBe(201);
    expect((await erase(a, p)).status).toBe(204);
    expect((await erase(b, p)).status).toBe(204);
    expect((await erase(a, projectId('never'))).status).toBe(204);
    expect((await erase(a, 'not-a-project-id!')).status).toBe(400);
  });

  it('then every route of the project answers 410, on every instance', async () => {
    const p = projectId('gone');
    const user = await post(a, p, 'hello');
    const assistant = await request(a.baseUrl, 'POST', `/v1/projects/${p}/assistant-messages`, {});
    expect(assistant.status).toBe(201);
    expect((await erase(a, p)).status).toBe(204);
    for (const service of [a, b]) {
      const base = `/v1/projects/${p}`;
      expectErased(await post(service, p, 'again'));
      expectErased(await request(service.baseUrl, 'POST', `${base}/assistant-messages`, {}));
      expectErased(
        await request(service.baseUrl, 'POST', `${base}/assistant-messages/${assistant.body.id}/complete`, {
          content: 'done',
        }),
      );
      expectErased(await request(service.baseUrl, 'POST', `${base}/turns`, { user: { content: 'hi' } }));
      expectErased(await request(service.baseUrl, 'GET', `${base}/messages`));
      expectErased(await request(service.baseUrl, 'GET', `${base}/messages/${user.body.id}`));
      expectErased(await request(service.baseUrl, 'GET', `${base}/events`));
      expectErased(await request(service.baseUrl, 'GET', `${base}/live`));
    }
  });

  it('tells open live streams of the project, on both instances, and closes them', async () => {
    const p = projectId('live');
    expect((await post(a, p, 'hello')).status).toBe(201);
    const onA = await openSse(`${a.baseUrl}/v1/projects/${p}/live?fromRevision=-1`);
    const onB = await openSse(`${b.baseUrl}/v1/projects/${p}/live?fromRevision=-1`);
    expect((await onA.nextEvent()).event).toBe('message.created');
    expect((await onB.nextEvent()).event).toBe('message.created');
    expect((await erase(a, p)).status).toBe(204);
    for (const stream of [onA, onB]) {
      expect((await stream.nextEvent()).event).toBe('project.erased');
      await expect(stream.nextEvent(3_000)).rejects.toThrow('the stream ended');
    }
  });

  it('racing 32 writers on two instances: nothing of the project survives, and no later write succeeds', async () => {
    const p = projectId('race');
    expect((await post(a, p, 'first')).status).toBe(201);
    let erased = false;
    const lateSuccesses: number[] = [];
    const writer = async (service: RunningService, n: number): Promise<number[]> => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const afterErasure = erased;
        const { status } = await post(service, p, `writer ${n} message ${i}`);
        statuses.push(status);
        if (afterErasure && status !== 410) lateSuccesses.push(status);
        if (status === 410) break;
      }
      return statuses;
    };
    const writers = Array.from({ length: 32 }, (_, n) => writer(n % 2 === 0 ? a : b, n));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await erase(b, p)).status).toBe(204);
    erased = true;
    expect((await remains(p)).events).toBe(0);
    const statuses = (await Promise.all(writers)).flat();
    expect(statuses.every((status) => status === 201 || status === 410)).toBe(true);
    expect(statuses).toContain(410);
    expect(lateSuccesses).toEqual([]);
    expectErased(await post(a, p, 'after'));
    expectErased(await post(b, p, 'after'));
    await post(a, projectId('later'), 'moves the log on');
    await projected(a);
    expect(await remains(p)).toEqual({ events: 0, rows: 0 });
  });

  it('after a rebuild and a verify, nothing of the project is back, and its content is nowhere in the database', async () => {
    const p = projectId('rebuilt');
    const marker = `marker-${randomUUID()}`;
    const kept = projectId('kept');
    expect((await post(a, p, `secret ${marker}`)).status).toBe(201);
    expect(
      (await request(a.baseUrl, 'POST', `/v1/projects/${p}/turns`, { user: { content: marker } })).status,
    ).toBe(201);
    expect((await post(a, kept, 'stays')).status).toBe(201);
    await projected(a);
    expect((await remains(p)).rows).toBeGreaterThan(0);
    expect(await rowsHolding(marker)).not.toEqual([]);

    expect((await erase(b, p)).status).toBe(204);
    expect(await rowsHolding(marker)).toEqual([]);

    const [before] = (await request(a.baseUrl, 'GET', '/v1/projections')).body;
    expect((await request(a.baseUrl, 'POST', '/v1/projections/messages/rebuild', {})).status).toBe(202);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [status] = (await request(a.baseUrl, 'GET', '/v1/projections')).body;
      if (status.generation > before.generation && status.rebuild === null) break;
      if (Date.now() > deadline) throw new Error(`rebuild did not finish: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await projected(a);
    expect(await remains(p)).toEqual({ events: 0, rows: 0 });
    expect((await request(a.baseUrl, 'GET', `/v1/projects/${kept}/messages`)).body.data).toHaveLength(1);

    const verified = await runCli(['verify'], { DATABASE_URL: databaseUrl });
    expect(verified.stdout).toContain('the read model agrees with the log');
    expect(verified.code).toBe(0);
    expect(await remains(p)).toEqual({ events: 0, rows: 0 });
    expect(await rowsHolding(marker)).toEqual([]);
  });
});

describe('npm run projections -- erase <projectId>', () => {
  it('erases as the route does, prints what it removed, and exits 0', async () => {
    const p = projectId('cli');
    expect((await post(a, p, 'one')).status).toBe(201);
    expect((await post(a, p, 'two')).status).toBe(201);
    await projected(a);
    const result = await runCli(['erase', p], { DATABASE_URL: databaseUrl });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`erased project ${p}: removed 2 events`);
    expect(result.stdout).toMatch(/messages generation \d+: removed 3 rows/);
    expect(await remains(p)).toEqual({ events: 0, rows: 0 });
    expectErased(await post(b, p, 'three'));
    const again = await runCli(['erase', p], { DATABASE_URL: databaseUrl });
    expect(again.stdout).toContain('removed 0 events');
    expect(again.code).toBe(0);
  });

  it('exits 2 on bad usage', async () => {
    for (const args of [['erase'], ['erase', 'not a project!'], ['erase', 'p1', 'p2']]) {
      const result = await runCli(args, { DATABASE_URL: databaseUrl });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Usage');
    }
  });
});
