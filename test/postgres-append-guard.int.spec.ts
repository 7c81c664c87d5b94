import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/database/migrations.js';
import {
  APPEND_GUARD_SQLSTATE,
  EVENT_STORE_MIGRATIONS,
} from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';

/**
 * es_append_batch is an entry point of its own (a migration, a tool, a test may call it inside
 * BEGIN … COMMIT). Called where its ordering rule cannot hold, it must refuse, not write.
 */
let pool: pg.Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase('guard'), max: 10 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS]);
  store = new PostgresEventStore(pool);
});
afterAll(async () => {
  await store.close();
  await pool.end();
});

function appendCall(client: pg.ClientBase, stream: string, count = 1) {
  const ids = Array.from({ length: count }, () => randomUUID());
  return client.query('SELECT * FROM es_append_batch($1, $2, $3, $4, $5, $6::jsonb[], $7::jsonb[])', [
    [stream],
    ['-2'],
    [count],
    ids,
    ids.map(() => 'Probe'),
    ids.map((id) => JSON.stringify({ id })),
    ids.map(() => JSON.stringify({ schemaVersion: 1 })),
  ]);
}

async function inTransaction(work: (client: pg.PoolClient) => Promise<unknown>): Promise<unknown> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      await work(client);
      await client.query('COMMIT');
      return undefined;
    } catch (error) {
      await client.query('ROLLBACK');
      return error;
    }
  } finally {
    client.release();
  }
}

describe('es_append_batch called directly', () => {
  it('runs as the first write of a transaction', async () => {
    const stream = `guard-${randomUUID()}`;
    expect(await inTransaction((client) => appendCall(client, stream, 2))).toBeUndefined();
    expect(await store.streamRevision(stream)).toBe(1n);
  });

  it('refuses to run in a transaction that has already written, and writes nothing', async () => {
    const stream = `guard-${randomUUID()}`;
    const error = await inTransaction(async (client) => {
      await client.query('CREATE TEMPORARY TABLE earlier_write (n int) ON COMMIT DROP');
      await client.query('INSERT INTO earlier_write VALUES (1)');
      await appendCall(client, stream);
    });
    expect(error).toMatchObject({
      code: APPEND_GUARD_SQLSTATE,
      message: expect.stringMatching(/first write/),
    });
    expect(await store.streamRevision(stream)).toBe(-1n);
  });

  it('refuses a second call in one transaction, which would put revisions out of order', async () => {
    const stream = `guard-${randomUUID()}`;
    const error = await inTransaction(async (client) => {
      await appendCall(client, stream);
      await appendCall(client, stream);
    });
    expect(error).toMatchObject({ code: APPEND_GUARD_SQLSTATE });
    expect(await store.streamRevision(stream)).toBe(-1n);
  });

  it('keeps the global log in revision order for every stream under randomized direct use', async () => {
    const streams = Array.from({ length: 4 }, () => `guard-mix-${randomUUID()}`);
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        await inTransaction(async (client) => {
          await appendCall(client, streams[i % streams.length]!);
          if (i % 3 === 0) await appendCall(client, streams[(i + 1) % streams.length]!);
        });
      }),
    );
    const seen = new Map<string, bigint>();
    let after: string | undefined;
    for (;;) {
      const page = await store.readAll({ after, maxCount: 500 });
      for (const event of page.events) {
        if (!streams.includes(event.streamName)) continue;
        const last = seen.get(event.streamName) ?? -1n;
        expect(event.revision).toBe(last + 1n);
        seen.set(event.streamName, event.revision);
      }
      if (page.events.length === 0) break;
      after = page.checkpoint;
    }
    for (const stream of streams) expect(seen.get(stream) ?? -1n).toBe(await store.streamRevision(stream));
  });
});
