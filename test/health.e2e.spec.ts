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
async function holdTable(table: string): Promise<() => Promise<void>> {
  const client = await db.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await client.query('ROLLBACK');
    client.release();
  };
}

async function ready() {
  const started = Date.now();
  const response = await request(service.baseUrl, 'GET', '/health/ready');
  return { ...response, ms: Date.now() - started };
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
  it('200 when the database, the event store and every projection are fine', async () => {
    const response = await ready();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      checks: { database: 'ok', eventStore: 'ok', projections: 'ok' },
    });
  });

  it('503 naming the event store when it does not answer, within the check timeout; 200 again after', async () => {
    const response = await readyWhileHolding('es_events');
    expectNotReady(response);
    expect(response.body.checks).toEqual({ database: 'ok', eventStore: 'failed', projections: 'ok' });
    expect(response.body.detail).toMatch(/event store/);
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
    expect(JSON.stringify(response.body)).not.toContain(streamNameOf(p)); // lastError stays behind auth
    expect((await request(service.baseUrl, 'GET', '/health/live')).status).toBe(200);
  });
});
