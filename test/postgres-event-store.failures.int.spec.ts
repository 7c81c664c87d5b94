import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/database/migrations.js';
import {
  EventStoreUnavailableError,
  type RecordedEvent,
  WrongExpectedVersionError,
} from '../src/event-store/event-store.port.js';
import { APPEND_LOCK_CLASS } from '../src/database/advisory-locks.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';
import { freePort } from './support/ports.js';
import { newEvent as event } from './support/events.js';

/**
 * How the PostgreSQL adapter fails: an append that PostgreSQL refuses fails alone, whatever it
 * was grouped with; conflicts are retried; only a connection failure is "unavailable", and only
 * one during an append leaves its outcome unknown.
 */

const stream = (label = 's') => `${label}-${randomUUID()}`;

/** Text jsonb cannot hold: U+0000 (22P05) and lone surrogates (22P02). */
const REFUSED = ['nul \u0000 inside', 'lone high \ud800', '\udc00 lone low', 'reversed \udc00\ud800'];

let url: string;
let pool: pg.Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  url = await createTestDatabase('failures');
  pool = new pg.Pool({ connectionString: url, max: 20, application_name: 'store-under-test' });
  pool.on('error', () => undefined); // the backend this file terminates on purpose
  await migrate(pool, [EVENT_STORE_MIGRATIONS]);
  store = new PostgresEventStore(pool);
});
afterAll(async () => {
  await store.close();
  await pool.end();
});

async function globalLog(after: string | undefined, streams: Set<string>): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  let checkpoint = after;
  for (;;) {
    const page = await store.readAll({ after: checkpoint, maxCount: 1000 });
    if (page.events.length === 0) return seen;
    seen.push(...page.events.filter((recorded) => streams.has(recorded.streamName)));
    checkpoint = page.checkpoint;
  }
}

async function head(): Promise<string | undefined> {
  let checkpoint: string | undefined;
  for (;;) {
    const page = await store.readAll({ after: checkpoint, maxCount: 1000 });
    if (page.events.length === 0) return checkpoint;
    checkpoint = page.checkpoint;
  }
}

function expectRefusedByPostgres(error: unknown): void {
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(EventStoreUnavailableError);
  expect(error).not.toBeInstanceOf(WrongExpectedVersionError);
  expect((error as { code?: string }).code).toMatch(/^22P0[25]$/);
}

describe('an append whose data PostgreSQL refuses', () => {
  it('fails alone when it leaves in one group with others', async () => {
    // The first append leaves at once; the rest queue behind it and leave together, the bad one
    // among them.
    const good = Array.from({ length: 12 }, () => stream('good'));
    const bad = stream('bad');
    const appends = [
      ...good.slice(0, 6).map((name) => store.append(name, [event('Good')], 'no_stream')),
      store.append(bad, [event('Bad', { text: REFUSED[1] })], 'no_stream'),
      ...good.slice(6).map((name) => store.append(name, [event('Good')], 'no_stream')),
    ];
    const results = await Promise.allSettled(appends);
    const rejected = results.flatMap((result, i) =>
      result.status === 'rejected' ? [[i, result.reason]] : [],
    );
    expect(rejected.map(([i]) => i)).toEqual([6]);
    expectRefusedByPostgres(rejected[0]?.[1]);
    for (const name of good) expect(await store.readStream(name)).toHaveLength(1);
    expect(await store.readStream(bad)).toEqual([]);
    expect(await store.streamRevision(bad)).toBe(-1n);
  });

  it('stores none of its events, however many it has', async () => {
    const name = stream();
    const other = stream();
    const [whole, alongside] = await Promise.allSettled([
      store.append(name, [event('A'), event('B', { text: REFUSED[0] }), event('C')], 'no_stream'),
      store.append(other, [event('Other')], 'no_stream'),
    ]);
    expect(whole.status).toBe('rejected');
    expect(alongside.status).toBe('fulfilled');
    expect(await store.readStream(name)).toEqual([]);
    expect(await store.readStream(other)).toHaveLength(1);
  });

  it('under load: 48 writers, 8 of them sending refused data; every other append is stored once, in order', async () => {
    const start = await head();
    const writers = 48;
    const rounds = 15;
    const names = Array.from({ length: writers }, (_, w) => stream(w < 8 ? 'mixed' : 'clean'));
    const acknowledged = new Map<string, string[]>(names.map((name) => [name, []]));
    const failures: unknown[] = [];

    await Promise.all(
      names.map(async (name, w) => {
        let revision = -1n;
        for (let i = 0; i < rounds; i++) {
          if (w < 8 && i % 2 === 0) {
            const text = REFUSED[(w + i) % REFUSED.length];
            const error = await store
              .append(name, [event('Refused', { w, i, text })], revision < 0n ? 'no_stream' : revision)
              .then(
                () => undefined,
                (e: unknown) => e,
              );
            failures.push(error);
          }
          const appended = event('Accepted', { w, i });
          const result = await store.append(name, [appended], revision < 0n ? 'no_stream' : revision);
          expect(result.nextExpectedRevision).toBe(revision + 1n);
          revision = result.nextExpectedRevision;
          acknowledged.get(name)?.push(appended.id);
        }
      }),
    );

    expect(failures).toHaveLength(8 * Math.ceil(rounds / 2));
    for (const error of failures) expectRefusedByPostgres(error);
    for (const name of names) {
      const stored = await store.readStream(name);
      expect(stored.map((e) => e.id)).toEqual(acknowledged.get(name));
      expect(stored.map((e) => e.revision)).toEqual(Array.from({ length: rounds }, (_, i) => BigInt(i)));
      expect(stored.every((e) => e.type === 'Accepted')).toBe(true);
    }
    const seen = await globalLog(start, new Set(names));
    expect(seen).toHaveLength(writers * rounds);
    expect(new Set(seen.map((e) => e.id)).size).toBe(writers * rounds);
    for (const name of names) {
      expect(seen.filter((e) => e.streamName === name).map((e) => e.id)).toEqual(acknowledged.get(name));
    }
  });

  it('data that cannot even be encoded fails its own append only', async () => {
    const name = stream();
    const others = [stream(), stream()];
    const results = await Promise.allSettled([
      store.append(others[0]!, [event()], 'no_stream'),
      store.append(name, [event('Unencodable', { big: 1n })], 'no_stream'),
      store.append(others[1]!, [event()], 'no_stream'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(TypeError);
  });
});

describe('serialization failures and deadlocks', () => {
  beforeAll(async () => {
    // A trigger that makes PostgreSQL report a conflict for chosen event types: the first two
    // 'Flaky' events, and every 'Deadlocked' one.
    await pool.query(`
      CREATE SEQUENCE flaky_failures;
      CREATE FUNCTION simulate_conflicts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.event_type = 'Flaky' AND nextval('flaky_failures') <= 2 THEN
          RAISE EXCEPTION 'simulated serialization failure' USING ERRCODE = 'serialization_failure';
        END IF;
        IF NEW.event_type = 'Deadlocked' THEN
          RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = 'deadlock_detected';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER simulate_conflicts BEFORE INSERT ON es_events
        FOR EACH ROW EXECUTE FUNCTION simulate_conflicts();`);
  });
  afterAll(async () => {
    await pool.query('DROP TRIGGER simulate_conflicts ON es_events');
  });

  it('are retried: the append succeeds after two serialization failures', async () => {
    const name = stream();
    const result = await store.append(name, [event('Flaky')], 'no_stream');
    expect(result.nextExpectedRevision).toBe(0n);
    expect(await store.readStream(name)).toHaveLength(1);
    const { rows } = await pool.query<{ last_value: string }>('SELECT last_value FROM flaky_failures');
    expect(Number(rows[0]?.last_value)).toBe(3);
  });

  it('that never stop fail that append alone, after a bounded number of attempts', async () => {
    const name = stream();
    const others = Array.from({ length: 6 }, () => stream());
    const started = Date.now();
    const results = await Promise.allSettled([
      store.append(others[0]!, [event()], 'no_stream'),
      store.append(name, [event('Deadlocked')], 'no_stream'),
      ...others.slice(1).map((other) => store.append(other, [event()], 'no_stream')),
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    const failed = results.filter((result) => result.status === 'rejected') as PromiseRejectedResult[];
    expect(failed).toHaveLength(1);
    expect((failed[0]?.reason as { code?: string }).code).toBe('40P01');
    expect(results[1]?.status).toBe('rejected');
    for (const other of others) expect(await store.readStream(other)).toHaveLength(1);
  });
});

describe('connection failures', () => {
  it('no connection: unavailable, nothing appended; a read says nothing about appends', async () => {
    const closed = new pg.Pool({
      connectionString: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/none`,
      connectionTimeoutMillis: 2_000,
    });
    const unreachable = new PostgresEventStore(closed);
    try {
      const append = await unreachable.append(stream(), [event()], 'any').catch((e: unknown) => e);
      expect(append).toBeInstanceOf(EventStoreUnavailableError);
      expect(append).toMatchObject({ operation: 'append', outcomeUnknown: false });
      const read = await unreachable.readStream(stream()).catch((e: unknown) => e);
      expect(read).toBeInstanceOf(EventStoreUnavailableError);
      expect(read).toMatchObject({ operation: 'read', outcomeUnknown: false });
    } finally {
      await unreachable.close();
      await closed.end();
    }
  });

  it('a connection dropped during an append: its outcome, and its group’s, is unknown', async () => {
    const name = stream('dropped');
    const alongside = stream('alongside');
    // Hold the append lock of `name` so that the store's append waits inside es_append_batch.
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [APPEND_LOCK_CLASS, name]);
      // The first append leaves alone; the two behind it leave together, in one statement.
      const first = store.append(stream(), [event()], 'no_stream');
      const pending = Promise.allSettled([
        store.append(name, [event()], 'no_stream'),
        store.append(alongside, [event()], 'no_stream'),
      ]);
      await first;
      let pid: number | undefined;
      for (let attempt = 0; attempt < 100 && pid === undefined; attempt++) {
        const { rows } = await holder.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE application_name = 'store-under-test' AND wait_event_type = 'Lock'
              AND query LIKE '%es_append_batch%' AND pid <> pg_backend_pid()`,
        );
        pid = rows[0]?.pid;
        if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(pid).toBeDefined();
      await holder.query('SELECT pg_terminate_backend($1)', [pid]);
      const results = await pending;
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason as unknown;
        expect(error).toBeInstanceOf(EventStoreUnavailableError);
        expect(error).toMatchObject({ operation: 'append', outcomeUnknown: true });
      }
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    // The store goes on with fresh connections.
    expect((await store.append(name, [event()], 'no_stream')).nextExpectedRevision).toBe(0n);
  });
});
