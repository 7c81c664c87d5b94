import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PROJECTOR_MIGRATIONS } from '../projections/index.js';
import { messagesProjection } from '../projections/messages/messages.projection.js';
import {
  ensureLiveGeneration,
  loadGenerations,
  requestRebuild,
} from '../projections/projector/generations.js';
import { Projector } from '../projections/projector/projector.js';
import { migrate } from '../src/database/migrations.js';
import {
  type EventStore,
  type ReadAllOptions,
  type WatchAppendsOptions,
} from '../src/event-store/event-store.port.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';
import { userMessagedEvent as userMessaged } from './support/events.js';

let url: string;
let pool: pg.Pool;
let store: PostgresEventStore;
const running: Projector[] = [];

beforeEach(async () => {
  url = await createTestDatabase('projector');
  pool = new pg.Pool({ connectionString: url, max: 20 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS, PROJECTOR_MIGRATIONS]);
  store = new PostgresEventStore(pool);
  const client = await pool.connect();
  await ensureLiveGeneration(client, messagesProjection).finally(() => client.release());
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((projector) => projector.stop()));
  await pool.end();
});

function projector(): Projector {
  const started = new Projector(url, store, messagesProjection, {
    pollMs: 50,
    standbyRetryMs: 100,
    batchSize: 100,
  });
  started.start();
  running.push(started);
  return started;
}

async function live() {
  const generations = await loadGenerations(pool, 'messages');
  const found = generations.find((g) => g.state === 'live');
  if (!found) throw new Error('no live generation');
  return found;
}

/** Polls what is stored until the condition holds, or fails with what it waited for. */
async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function messages(projectId: string): Promise<{ sequence: string; content: string }[]> {
  const { rows } = await pool.query<{ sequence: string; content: string }>(
    'SELECT sequence, content FROM rm_messages WHERE project_id = $1 ORDER BY sequence',
    [projectId],
  );
  return rows;
}

describe('the projector', () => {
  it('projects an event whose transaction commits after a later one', async () => {
    projector();
    const slowProject = `slow-${randomUUID()}`;
    const fastProject = `fast-${randomUUID()}`;
    const slowClient = await pool.connect();
    const slow = userMessaged(slowProject, 'slow');
    await slowClient.query('BEGIN');
    await slowClient.query('SELECT * FROM es_append_batch($1, $2, $3, $4, $5, $6::jsonb[], $7::jsonb[])', [
      [streamNameOf(slowProject)],
      ['-1'],
      [1],
      [slow.id],
      [slow.type],
      [JSON.stringify(slow.data)],
      [JSON.stringify(slow.metadata)],
    ]);
    const fast = await store.append(
      streamNameOf(fastProject),
      [userMessaged(fastProject, 'fast')],
      'no_stream',
    );
    await slowClient.query('COMMIT');
    slowClient.release();

    await waitFor(async () => (await messages(fastProject)).length === 1, 'the fast event');
    expect(fast.position).toBeDefined();
    await waitFor(async () => (await messages(slowProject)).length === 1, 'the slow event');
    expect((await messages(slowProject))[0]?.content).toBe('slow');
  });

  it('loses nothing and duplicates nothing when its connection is killed mid-batch, again and again', async () => {
    const p = `killed-${randomUUID()}`;
    const stream = streamNameOf(p);
    for (let i = 0; i < 30; i++) {
      await store.append(
        stream,
        Array.from({ length: 100 }, (_, j) => userMessaged(p, `m${i * 100 + j}`)),
        'any',
      );
    }
    projector();
    let kills = 0;
    while ((await messages(p)).length < 3000 && kills < 10) {
      const { rowCount } = await pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'projector' AND datname = current_database()`,
      );
      kills += rowCount ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(kills).toBeGreaterThan(0);
    await waitFor(async () => (await messages(p)).length === 3000, 'all 3000 messages', 30_000);
    const rows = await messages(p);
    expect(rows.map((row) => Number(row.sequence))).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(rows.map((row) => row.content)).toEqual(Array.from({ length: 3000 }, (_, i) => `m${i}`));
    expect((await live()).eventsApplied).toBeGreaterThanOrEqual(3000);
  });

  it('runs one active projector; a standby takes over within seconds when it stops', async () => {
    const first = projector();
    await waitFor(async () => first.active, 'the first projector to lead');
    const second = projector();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(second.active).toBe(false);

    await first.stop();
    const stoppedAt = Date.now();
    await waitFor(async () => second.active, 'the standby to take over', 5_000);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    const p = `takeover-${randomUUID()}`;
    await store.append(streamNameOf(p), [userMessaged(p, 'after takeover')], 'no_stream');
    await waitFor(async () => (await messages(p)).length === 1, 'the standby to project');
  });

  it('stops at a poison event with status failed and lastError, keeping the checkpoint before it', async () => {
    const p = `poison-${randomUUID()}`;
    const stream = streamNameOf(p);
    await store.append(stream, [userMessaged(p, 'good 0'), userMessaged(p, 'good 1')], 'no_stream');
    const good = await store.append(stream, [userMessaged(p, 'good 2')], 1n);
    await store.append(stream, [userMessaged(p, 'bad', { content: 42 })], 2n);
    await store.append(stream, [userMessaged(p, 'after the poison')], 3n);
    projector();

    await waitFor(async () => (await live()).failed, 'the projection to fail');
    const generation = await live();
    expect(generation.lastError).toMatch(/data\.content/);
    expect(generation.lastError).toContain(`${stream}@3`);
    expect(generation.position).toBe(good.position);
    expect((await messages(p)).map((row) => row.content)).toEqual(['good 0', 'good 1', 'good 2']);
  });

  it('stays failed when it leads again after a lost connection, without applying the poison event again', async () => {
    const p = `poison-relead-${randomUUID()}`;
    await store.append(streamNameOf(p), [userMessaged(p, 'bad', { content: 42 })], 'no_stream');
    const logged: string[] = [];
    const started = new Projector(url, store, messagesProjection, {
      pollMs: 50,
      standbyRetryMs: 100,
      log: (_level, message) => logged.push(message),
    });
    started.start();
    running.push(started);
    await waitFor(async () => (await live()).failed, 'the projection to fail');
    const failedAt = (await live()).updatedAt;

    await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'projector' AND datname = current_database()`,
    );
    const leads = () => logged.filter((message) => message.includes('is the active projector')).length;
    await waitFor(async () => leads() === 2, 'the projector to lead again');
    await new Promise((resolve) => setTimeout(resolve, 500)); // many polls of 50 ms

    expect((await live()).failed).toBe(true);
    expect((await live()).updatedAt).toEqual(failedAt);
    expect(logged.filter((message) => message.includes('projection failed at'))).toHaveLength(1);
  });

  it('stops loudly, never skips, when the revision of a stream goes backwards in the global log', async () => {
    const p = `backwards-${randomUUID()}`;
    const stream = streamNameOf(p);
    // Written around es_append_batch, the way a broken writer would: revision 1 commits first.
    const insert = (revision: number, content: string) => {
      const event = userMessaged(p, content);
      return pool.query(
        `INSERT INTO es_events (stream_name, stream_revision, event_id, event_type, data, metadata)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [stream, revision, event.id, event.type, event.data, event.metadata],
      );
    };
    await insert(1, 'second');
    await insert(0, 'first');
    projector();

    await waitFor(async () => (await live()).failed, 'the projection to fail');
    const generation = await live();
    expect(generation.lastError).toContain(`${stream}@0`);
    expect(generation.lastError).toMatch(/arrived after revision 1/);
    expect((await messages(p)).map((row) => row.content)).toEqual(['second']);
  });

  it('commits nothing of a batch whose checkpoint was moved under it (a rival took the lead), and applies it once after', async () => {
    // Once, inside the projector's transaction: a rival's checkpoint lands while the batch is written.
    await pool.query(`CREATE SEQUENCE rival_once`);
    await pool.query(`
      CREATE FUNCTION rival_moves_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('rival_once') = 1 THEN
          UPDATE projection_generations SET position = 'rival' WHERE name = 'messages' AND state = 'live';
        END IF;
        RETURN NEW;
      END $$`);
    await pool.query(`
      CREATE TRIGGER rival BEFORE INSERT ON rm_messages_g1 FOR EACH ROW EXECUTE FUNCTION rival_moves_checkpoint()`);
    projector();
    const p = `rival-${randomUUID()}`;
    await store.append(streamNameOf(p), [userMessaged(p, 'only once')], 'no_stream');
    await waitFor(async () => (await messages(p)).length === 1, 'the message to be projected');
    // The first attempt was rolled back whole (the rival's move with it) and the batch written again.
    expect(
      Number((await pool.query(`SELECT last_value FROM rival_once`)).rows[0].last_value),
    ).toBeGreaterThanOrEqual(2);
    expect((await live()).position).not.toBe('rival');
    await store.append(streamNameOf(p), [userMessaged(p, 'and the next')], 'any');
    await waitFor(async () => (await messages(p)).length === 2, 'the next message to be projected');
    expect((await messages(p)).map((m) => m.content)).toEqual(['only once', 'and the next']);
  });

  it('applying the same events twice changes nothing', async () => {
    const p = `twice-${randomUUID()}`;
    const stream = streamNameOf(p);
    await store.append(stream, [userMessaged(p, 'one'), userMessaged(p, 'two')], 'no_stream');
    const events = await store.readStream(stream);
    const { generation } = await live();
    const applyOnce = async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await messagesProjection.apply(client, events, generation);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };
    await applyOnce();
    const first = await pool.query(`SELECT * FROM rm_messages WHERE project_id = $1 ORDER BY sequence`, [p]);
    await applyOnce();
    const second = await pool.query(`SELECT * FROM rm_messages WHERE project_id = $1 ORDER BY sequence`, [p]);
    expect(second.rows).toEqual(first.rows);
    expect(second.rows).toHaveLength(2);
  });

  it('rebuilds into a new generation when the projection version changed', async () => {
    const p = `versioned-${randomUUID()}`;
    await store.append(streamNameOf(p), [userMessaged(p, 'kept')], 'no_stream');
    const before = await live();
    await pool.query(`UPDATE projection_generations SET version = 0 WHERE name = 'messages'`);
    projector();
    await waitFor(
      async () => (await live()).version === messagesProjection.version,
      'the rebuild to go live',
    );
    expect((await live()).generation).toBeGreaterThan(before.generation);
    await waitFor(async () => (await messages(p)).length === 1, 'the new generation to hold the message');
    // The old generation's tables are dropped right after the switch commits.
    const oldTable = async () =>
      (await pool.query(`SELECT to_regclass($1) AS old`, [`rm_messages_g${before.generation}`])).rows[0].old;
    await waitFor(async () => (await oldTable()) === null, 'the old generation to be dropped');
  });

  it('reads each page of the log once while rebuilding beside the live generation', async () => {
    const pageSize = 500;
    const pages = 8;
    for (let i = 0; i < pages; i++) {
      const p = `pages-${i}-${randomUUID()}`;
      const events = Array.from({ length: pageSize }, (_, j) => userMessaged(p, `m${j}`));
      await store.append(streamNameOf(p), events, 'no_stream');
    }
    // The projector's event store counts what it reads while the rebuild runs.
    const counted = new PostgresEventStore(pool);
    const readAll = counted.readAll.bind(counted);
    const calls: { after: string | undefined; events: number }[] = [];
    let counting = false;
    counted.readAll = async (options?: ReadAllOptions) => {
      const page = await readAll(options);
      if (counting) calls.push({ after: options?.after, events: page.events.length });
      return page;
    };
    const started = new Projector(url, counted, messagesProjection, {
      pollMs: 50,
      standbyRetryMs: 100,
      batchSize: 100,
      rebuildBatchSize: pageSize,
    });
    started.start();
    running.push(started);
    await waitFor(async () => (await live()).eventsApplied === pageSize * pages, 'the live generation');

    counting = true;
    const client = await pool.connect();
    const target = await requestRebuild(client, messagesProjection).finally(() => client.release());
    await waitFor(async () => (await live()).generation === target.generation, 'the rebuild to go live');
    counting = false;

    // The live generation is caught up and reads nothing; each page is read once for the new one.
    const read = calls.reduce((sum, call) => sum + call.events, 0);
    const nonEmpty = calls.filter((call) => call.events > 0).length;
    // (Empty reads of the live generation while it waits for news depend on timing and are not counted.)
    expect({ read, nonEmpty }).toEqual({ read: pageSize * pages, nonEmpty: pages });
  });
});

describe('a store that filters the log on its server', () => {
  it('keeps the checkpoint it moved past other streams, so that they are not scanned again', async () => {
    // As EventStoreDB's adapter does: only conversation events come back, the checkpoint moves on.
    const filtering: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: async (options?: ReadAllOptions) => {
        const page = await store.readAll(options);
        return { ...page, events: page.events.filter((e) => e.streamName.startsWith('conversation-')) };
      },
    });
    const started = new Projector(url, filtering, messagesProjection, { pollMs: 50, standbyRetryMs: 100 });
    started.start();
    running.push(started);
    const other = await store.append(
      `other-${randomUUID()}`,
      [userMessaged('x', 'not a conversation')],
      'any',
    );

    await waitFor(
      async () => (await live()).position === other.position,
      'the checkpoint past the other stream',
    );
    expect((await live()).eventsApplied).toBe(0);
  });
});

describe('the wake-up source', () => {
  it('is the store append watch: an append wakes it long before its poll', async () => {
    const started = new Projector(url, store, messagesProjection, { pollMs: 60_000, standbyRetryMs: 100 });
    started.start();
    running.push(started);
    await waitFor(async () => started.active, 'the projector to lead');
    await new Promise((resolve) => setTimeout(resolve, 300)); // its first look at the log is done
    const p = randomUUID();
    await store.append(streamNameOf(p), [userMessaged(p, 'wake')], 'no_stream');
    await waitFor(async () => (await live()).eventsApplied === 1, 'the event to be projected', 5_000);
  });

  it('a failing watch shows in lastError and the log while the poll keeps projecting; its recovery clears it', async () => {
    let options: WatchAppendsOptions = {};
    const watched: EventStore = Object.assign(Object.create(store) as EventStore, {
      watchAppends: (_listener: unknown, given: WatchAppendsOptions = {}) => {
        options = given;
        return { close: () => undefined };
      },
    });
    const logged: string[] = [];
    const started = new Projector(url, watched, messagesProjection, {
      pollMs: 50,
      standbyRetryMs: 100,
      log: (_level, message) => logged.push(message),
    });
    started.start();
    running.push(started);
    await waitFor(async () => started.active, 'the projector to lead');
    options.onError?.(new Error('subscription dropped'), 1_000);
    await waitFor(
      async () => (await live()).lastError?.includes('subscription dropped') ?? false,
      'lastError',
    );
    expect(logged.join('\n')).toMatch(
      /event store subscription failed, resubscribing in 1000 ms: subscription dropped/,
    );
    const p = randomUUID();
    await store.append(streamNameOf(p), [userMessaged(p, 'polled')], 'no_stream');
    await waitFor(async () => (await live()).eventsApplied === 1, 'the event to be projected');
    options.onRecovered?.();
    await waitFor(async () => (await live()).lastError === null, 'lastError cleared');
  });
});
