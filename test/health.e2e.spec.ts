import pg from 'pg';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { userMessagedEvent as userMessaged } from './support/events.js';

let databaseUrl: string;
let db: pg.Pool;
let service: RunningService;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('health');
  db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  service = await startService({ DATABASE_URL: databaseUrl });
});
afterAll(async () => {
  await service?.stop();
  await db?.end();
});

/** Holds a table in ACCESS EXCLUSIVE mode, so that anything reading it waits, until released. */
async function holdTable(table: string, pool = db): Promise<() => Promise<void>> {
  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await client.query('ROLLBACK');
    client.release();
  };
}

async function ready(baseUrl = service.baseUrl) {
  const started = Date.now();
  const response = await request(baseUrl, 'GET', '/health/ready');
  return { ...response, ms: Date.now() - started };
}

/** Readiness once it is 200, or the last answer after 10 s. */
async function untilReady(baseUrl = service.baseUrl) {
  const deadline = Date.now() + 10_000;
  let response = await ready(baseUrl);
  while (response.status !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    response = await ready(baseUrl);
  }
  return response;
}

function expectNotReady(response: Awaited<ReturnType<typeof ready>>): void {
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(response.body).toMatchObject({ type: '/problems/not-ready', status: 503 });
}

/** Readiness asked while another transaction holds a table exclusively, so that a check cannot answer. */
async function readyWhileHolding(table: string) {
  const release = await holdTable(table);
  try {
    return await ready();
  } finally {
    await release();
  }
}

describe('GET /health/ready', () => {
  it('200 with every check up when the database, the event store and every projection are fine', async () => {
    const response = await untilReady();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/no-cache/);
    expect(response.body).toEqual({
      status: 'ok',
      info: response.body.details,
      error: {},
      details: {
        database: { status: 'up', responseTime: expect.any(Number) },
        eventStore: { status: 'up', responseTime: expect.any(Number) },
        projections: { status: 'up', lag: { messages: 0 }, responseTime: expect.any(Number) },
      },
    });
  });

  it('503 naming the event store when it does not answer, within the check timeout; 200 again after', async () => {
    const response = await readyWhileHolding('es_events');
    expectNotReady(response);
    // The projections' lag is counted in the event log, so that check cannot answer either.
    expect(response.body.checks).toEqual({ database: 'ok', eventStore: 'failed', projections: 'failed' });
    expect(response.body.detail).toMatch(/event store/);
    expect(response.body.details.eventStore).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/timeout/),
    });
    expect(response.body.details.database).toMatchObject({ status: 'up' });
    expect(response.ms).toBeLessThan(3_000);
    expect((await ready()).status).toBe(200);
  });

  it('503 naming the projections when their state cannot be read in time', async () => {
    const response = await readyWhileHolding('projection_generations');
    expectNotReady(response);
    expect(response.body.checks).toEqual({ database: 'ok', eventStore: 'ok', projections: 'failed' });
    expect(response.ms).toBeLessThan(3_000);
    expect((await ready()).status).toBe(200);
  });

  it('503 with projections failed while a projection is stopped at an event it cannot apply', async () => {
    const store = new PostgresEventStore(db);
    const p = projectId('health-poison');
    await store.append(streamNameOf(p), [userMessaged(p, 'fine'), userMessaged(p, 42)], 'no_stream');

    const deadline = Date.now() + 10_000;
    let status: string | undefined;
    while (status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const list = await request(service.baseUrl, 'GET', '/v1/projections');
      status = list.body.find((s: { name: string }) => s.name === 'messages')?.status;
    }
    expect(status).toBe('failed');

    const response = await ready();
    expectNotReady(response);
    expect(response.body.checks).toEqual({ database: 'ok', eventStore: 'ok', projections: 'failed' });
    expect(response.body.detail).toContain('messages');
    expect(response.body.details.projections).toMatchObject({ status: 'down' });
    expect(JSON.stringify(response.body)).not.toContain(streamNameOf(p)); // lastError stays behind auth
    expect((await request(service.baseUrl, 'GET', '/health/live')).status).toBe(200);
  });
});

describe('GET /health/ready with READY_MAX_PROJECTION_LAG=2', () => {
  let laggedDb: pg.Pool;
  let lagged: RunningService;

  beforeAll(async () => {
    const url = await createTestDatabase('health_lag');
    laggedDb = new pg.Pool({ connectionString: url, max: 2 });
    lagged = await startService({ DATABASE_URL: url, READY_MAX_PROJECTION_LAG: '2' });
  });
  afterAll(async () => {
    await lagged?.stop();
    await laggedDb?.end();
  });

  it('503 while the projector, held back by a reader, is more than 2 events behind; 200 once it catches up', async () => {
    expect((await untilReady(lagged.baseUrl)).status).toBe(200);
    const p = projectId('health-lag');
    // The projector's next batch waits for the read model; commands append to the log all the same.
    const release = await holdTable('rm_messages', laggedDb);
    try {
      for (const content of ['one', 'two', 'three']) {
        const posted = await request(lagged.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content });
        expect(posted.status).toBe(201);
      }
      const response = await ready(lagged.baseUrl);
      expectNotReady(response);
      expect(response.body.checks).toEqual({ database: 'ok', eventStore: 'ok', projections: 'failed' });
      expect(response.body.detail).toContain('messages is more than 2 events behind the log');
    } finally {
      await release();
    }
    // Ready again as soon as the lag is back within 2 (the projector may apply the held batch in parts) ...
    const after = await untilReady(lagged.baseUrl);
    expect(after.status).toBe(200);
    expect(after.body.details.projections.lag.messages).toBeLessThanOrEqual(2);
    // ... and the lag reaches 0 once the projector has caught up.
    let caughtUp = after;
    const deadline = Date.now() + 10_000;
    while (caughtUp.body.details?.projections?.lag?.messages !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      caughtUp = await ready(lagged.baseUrl);
    }
    expect(caughtUp.body.details.projections).toMatchObject({ status: 'up', lag: { messages: 0 } });
  });
});
