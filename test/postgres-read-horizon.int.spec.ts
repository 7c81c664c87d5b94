import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { APPEND_LOCK_CLASS } from '../src/database/advisory-locks.js';
import { migrate } from '../src/database/migrations.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore, READ_ALL_SQL } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';

/**
 * The global log's page and its horizon come from one statement, one snapshot. An append in
 * progress when that snapshot was taken may commit before the statement looks at the locks: its
 * events are then invisible to the read, yet no lock says so. These tests hold the snapshot open
 * (REPEATABLE READ) across such a commit, which a live reader meets only by bad timing.
 */
let pool: pg.Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase('read_horizon'), max: 10 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS]);
  store = new PostgresEventStore(pool);
});
afterAll(async () => {
  await store.close();
  await pool.end();
});

const event = (type: string) => ({
  id: randomUUID(),
  type,
  data: {},
  metadata: { correlationId: null, causationId: null, userId: null, schemaVersion: 1 },
});

/** An append left uncommitted: its stream lock and transaction id taken, its event written. */
async function appendInFlight(stream: string): Promise<{ commit(): Promise<void> }> {
  const client = await pool.connect();
  const { id, type } = event('Slow');
  await client.query('BEGIN');
  await client.query('SELECT * FROM es_append_batch($1, $2, $3, $4, $5, $6::jsonb[], $7::jsonb[])', [
    [stream],
    ['-1'],
    [1],
    [id],
    [type],
    ['{}'],
    ['{}'],
  ]);
  return {
    async commit() {
      await client.query('COMMIT');
      client.release();
    },
  };
}

/** A reader whose snapshot is taken now and kept for every statement it runs until `end`. */
async function snapshotNow(): Promise<{ readAll(): Promise<string[]>; end(): Promise<void> }> {
  const client = await pool.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await client.query('SELECT 1'); // the snapshot is taken by the first statement
  return {
    async readAll() {
      const { rows } = await client.query<{ stream_name: string; event_type: string }>(READ_ALL_SQL, [
        '0',
        '0',
        1000,
        APPEND_LOCK_CLASS,
      ]);
      return rows.map((row) => `${row.stream_name}:${row.event_type}`);
    },
    async end() {
      await client.query('COMMIT');
      client.release();
    },
  };
}

describe('the global log read in one statement', () => {
  it('is held back by an append its snapshot saw in progress, even once that append has committed', async () => {
    const slow = appendInFlight('horizon-slow');
    const inFlight = await slow;
    await store.append('horizon-fast', [event('Fast')], 'no_stream');
    const reader = await snapshotNow();
    await inFlight.commit();
    try {
      // The slow event is invisible to this snapshot; the fast one, committed after it, is held
      // back with it rather than read past it.
      expect(await reader.readAll()).toEqual([]);
    } finally {
      await reader.end();
    }
    const page = await store.readAll({ maxCount: 1000 });
    expect(page.events.map((e) => `${e.streamName}:${e.type}`)).toEqual([
      'horizon-slow:Slow',
      'horizon-fast:Fast',
    ]);
  });

  it('is not held back by a transaction its snapshot saw in progress that still runs and appends nothing', async () => {
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()'); // a transaction id, as a writer has
      await store.append('horizon-after-other', [event('AfterOther')], 'no_stream');
      const reader = await snapshotNow();
      try {
        expect(await reader.readAll()).toContain('horizon-after-other:AfterOther');
      } finally {
        await reader.end();
      }
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });
});
