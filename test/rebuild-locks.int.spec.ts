import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { type Cli } from '../projections/cli/context.js';
import { verify } from '../projections/cli/commands/verify.js';
import { PROJECTOR_MIGRATIONS } from '../projections/index.js';
import { messagesProjection } from '../projections/messages/messages.projection.js';
import {
  ensureLiveGeneration,
  type Generation,
  loadGenerations,
  requestRebuild,
} from '../projections/projector/generations.js';
import { Projector } from '../projections/projector/projector.js';
import { migrate } from '../src/database/migrations.js';
import { type EventStore, type ReadAllOptions } from '../src/event-store/event-store.port.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';
import { userMessagedEvent as userMessaged } from './support/events.js';

/**
 * Rebuilds, verify and replay beside readers that hold transactions open: each test holds a real
 * transaction across a switch-over, a drop or a replay, and checks that reads and the projection
 * of other appends go on meanwhile.
 */

/** A read of the read model slower than this means it queued behind the projector's DDL. */
const PROMPT_MS = 1_000;

let url: string;
let pool: pg.Pool;
/** Readers of the views, each statement cut off after 3 s so that a frozen read fails the test. */
let readers: pg.Pool;
let store: PostgresEventStore;
const running: Projector[] = [];
const held: pg.PoolClient[] = [];
/** Whatever a test paused, let go after it whatever happened. */
const resumes: (() => void)[] = [];

beforeEach(async () => {
  url = await createTestDatabase('rebuild_locks');
  pool = new pg.Pool({ connectionString: url, max: 20 });
  readers = new pg.Pool({ connectionString: url, max: 4, statement_timeout: 3_000 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS, PROJECTOR_MIGRATIONS]);
  store = new PostgresEventStore(pool);
  const client = await pool.connect();
  await ensureLiveGeneration(client, messagesProjection).finally(() => client.release());
});
afterEach(async () => {
  for (const resume of resumes.splice(0)) resume();
  for (const client of held.splice(0)) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
  await Promise.all(running.splice(0).map((projector) => projector.stop()));
  await readers.end();
  await pool.end();
});

function projector(eventStore: EventStore = store, options: { rebuildBatchSize?: number } = {}): Projector {
  const started = new Projector(url, eventStore, messagesProjection, {
    pollMs: 50,
    standbyRetryMs: 100,
    batchSize: 100,
    ...options,
  });
  started.start();
  running.push(started);
  return started;
}

/** Appends `count` messages to a project in appends of up to 100; returns its last revision. */
async function write(projectId: string, count: number): Promise<number> {
  let revision = -1n;
  for (let done = 0; done < count; done += 100) {
    const events = Array.from({ length: Math.min(100, count - done) }, (_, i) =>
      userMessaged(projectId, `m${done + i}`),
    );
    revision = (await store.append(streamNameOf(projectId), events, 'any')).nextExpectedRevision;
  }
  return Number(revision);
}

async function generations(): Promise<Generation[]> {
  return loadGenerations(pool, 'messages');
}

async function live(): Promise<Generation> {
  const found = (await generations()).find((g) => g.state === 'live');
  if (!found) throw new Error('no live generation');
  return found;
}

async function tableExists(name: string): Promise<boolean> {
  const { rows } = await pool.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
    name,
  ]);
  return rows[0]?.found !== null;
}

/** Polls until the condition holds, or fails with what it waited for. */
async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The revision the read model reflects for a project, read through the view as queries do. */
async function projected(projectId: string): Promise<number> {
  const { rows } = await readers.query<{ revision: string }>(
    'SELECT revision FROM rm_projects WHERE project_id = $1',
    [projectId],
  );
  return rows[0] ? Number(rows[0].revision) : -1;
}

/** How long until the read model reflects `revision` of the project (a minRevision read), at most `limitMs`. */
async function visibleWithin(projectId: string, revision: number, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if ((await projected(projectId).catch(() => -1)) >= revision) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Infinity;
}

/**
 * History reads through the views, one after the other on two connections, until stopped:
 * the slowest read and any that failed (a frozen read runs into the statement timeout).
 */
function readWhile(projectId: string): {
  stop(): Promise<{ reads: number; slowestMs: number; errors: string[] }>;
} {
  let stopped = false;
  let reads = 0;
  let slowestMs = 0;
  const errors: string[] = [];
  const loop = async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        await readers.query(
          `SELECT coalesce((SELECT revision FROM rm_projects WHERE project_id = $1), -1) AS revision,
                  (SELECT json_agg(m) FROM (SELECT * FROM rm_messages WHERE project_id = $1
                                             ORDER BY sequence DESC LIMIT 50) m) AS rows`,
          [projectId],
        );
        reads++;
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
      slowestMs = Math.max(slowestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const loops = [loop(), loop()];
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return { reads, slowestMs, errors };
    },
  };
}

/** A connection with a transaction left open after its first statements, as a report or a forgotten session. */
async function holdOpen(...statements: string[]): Promise<pg.PoolClient> {
  const client = await pool.connect();
  held.push(client);
  await client.query('BEGIN');
  for (const sql of statements) await client.query(sql);
  return client;
}

async function release(client: pg.PoolClient): Promise<void> {
  await client.query('COMMIT');
  held.splice(held.indexOf(client), 1);
  client.release();
}

async function rebuild(): Promise<Generation> {
  const client = await pool.connect();
  try {
    return await requestRebuild(client, messagesProjection);
  } finally {
    client.release();
  }
}

describe('a rebuild beside transactions that hold the read model', () => {
  it('a transaction holding the views delays the switch, never the readers; the switch follows once it ends', async () => {
    const p = `views-${randomUUID()}`;
    const seeded = await write(p, 300);
    projector();
    await waitFor(async () => (await projected(p)) === seeded, 'the live generation to catch up');
    const before = await live();

    // A report that read the history and was left idle in its transaction.
    const holder = await holdOpen(
      `SELECT count(*) FROM rm_messages WHERE project_id = '${p}'`,
      `SELECT count(*) FROM rm_projects`,
    );
    const reading = readWhile(p);
    const target = await rebuild();
    await waitFor(
      async () =>
        (await generations()).find((g) => g.generation === target.generation)?.position === before.position,
      'the new generation to catch up',
    );
    // Long enough for several attempts at the switch: reads go on, and so does the live model.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const q = `views-other-${randomUUID()}`;
    const written = await write(q, 1);
    const lag = await visibleWithin(q, written, 3_000);
    const reads = await reading.stop();

    expect(reads.errors).toEqual([]);
    expect(reads.slowestMs).toBeLessThan(PROMPT_MS);
    expect(reads.reads).toBeGreaterThan(10);
    expect(lag).toBeLessThan(PROMPT_MS);
    expect((await live()).generation).toBe(before.generation); // the old model stays live meanwhile

    await release(holder);
    await waitFor(async () => (await live()).generation === target.generation, 'the switch', 10_000);
    expect(await projected(q)).toBe(written);
    await waitFor(
      async () => !(await tableExists(`rm_messages_g${before.generation}`)),
      'the old generation to be dropped',
      10_000,
    );
    expect((await generations()).map((g) => [g.generation, g.state])).toEqual([[target.generation, 'live']]);
  });

  it("a transaction holding the old generation's tables delays only their drop", async () => {
    const p = `tables-${randomUUID()}`;
    const seeded = await write(p, 300);
    projector();
    await waitFor(async () => (await projected(p)) === seeded, 'the live generation to catch up');
    const before = await live();

    const holder = await holdOpen(`SELECT count(*) FROM rm_messages_g${before.generation}`);
    const reading = readWhile(p);
    const target = await rebuild();
    await waitFor(async () => (await live()).generation === target.generation, 'the switch', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const q = `tables-other-${randomUUID()}`;
    const written = await write(q, 1);
    const lag = await visibleWithin(q, written, 3_000);
    const reads = await reading.stop();

    expect(lag).toBeLessThan(PROMPT_MS); // the projector did not stall on the drop
    expect(reads.errors).toEqual([]);
    expect(reads.slowestMs).toBeLessThan(PROMPT_MS);
    expect(await tableExists(`rm_messages_g${before.generation}`)).toBe(true); // still held

    await release(holder);
    await waitFor(
      async () => !(await tableExists(`rm_messages_g${before.generation}`)),
      'the old generation to be dropped once released',
      10_000,
    );
    expect(await tableExists(`rm_projects_g${before.generation}`)).toBe(false);
  });

  it('verify beside a rebuild: neither waits for the other, and verify checks the generation it started on', async () => {
    const projects = [`verify-a-${randomUUID()}`, `verify-b-${randomUUID()}`];
    const revisions = await Promise.all(projects.map((p) => write(p, 150)));
    projector();
    for (const [i, p] of projects.entries())
      await waitFor(async () => (await projected(p)) === revisions[i], 'the live generation to catch up');
    const before = await live();

    // verify's own store pauses on its first read of the log, while verify is under way.
    let paused!: () => void;
    const reached = new Promise<void>((resolve) => (paused = resolve));
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    resumes.push(resume);
    const verifyStore = new PostgresEventStore(pool);
    const readAll = verifyStore.readAll.bind(verifyStore);
    verifyStore.readAll = async (options?: ReadAllOptions) => {
      paused();
      await resumed;
      return readAll(options);
    };
    const printed: string[] = [];
    const cli: Cli = {
      db: { url, pool, store: verifyStore, close: async () => undefined },
      signal: new AbortController().signal,
      stderr: new Writable({ write: (_chunk, _encoding, done) => done() }) as unknown as NodeJS.WriteStream,
      print: (text) => printed.push(text),
      note: (text) => printed.push(text),
    };
    const verified = verify(cli);
    verified.catch(() => undefined);
    await reached;
    // While it reads the log, verify holds nothing a rebuild, a migration or a reader could wait for.
    const ddl = await pool.connect();
    try {
      await ddl.query('BEGIN');
      await ddl.query('SET LOCAL lock_timeout = 200');
      await ddl.query(
        `LOCK TABLE projection_generations, rm_messages_g${before.generation}, rm_projects_g${before.generation}
           IN ACCESS EXCLUSIVE MODE`,
      );
    } finally {
      await ddl.query('ROLLBACK');
      ddl.release();
    }

    const reading = readWhile(projects[0]!);
    const target = await rebuild();
    await waitFor(async () => (await live()).generation === target.generation, 'the switch', 10_000);
    const q = `verify-other-${randomUUID()}`;
    const written = await write(q, 1);
    const lag = await visibleWithin(q, written, 3_000);
    const reads = await reading.stop();

    resume();
    expect(await verified).toBe(0);
    expect(lag).toBeLessThan(PROMPT_MS);
    expect(reads.errors).toEqual([]);
    expect(reads.slowestMs).toBeLessThan(PROMPT_MS);
    expect(printed.join('\n')).toContain(
      `messages generation ${before.generation} (version ${messagesProjection.version})`,
    );
    expect(printed.join('\n')).toContain('the read model agrees with the log');
    await waitFor(
      async () => !(await tableExists(`rm_messages_g${before.generation}`)),
      'the old generation to be dropped after verify',
      10_000,
    );
  });
});

describe('a replay of one project', () => {
  it('holds that project only: appends to another project are projected meanwhile', async () => {
    const a = `replayed-${randomUUID()}`;
    const b = `other-${randomUUID()}`;
    const aRevision = await write(a, 20);
    const bRevision = await write(b, 20);
    projector();
    await waitFor(async () => (await projected(a)) === aRevision, 'project a');
    await waitFor(async () => (await projected(b)) === bRevision, 'project b');
    const { generation } = await live();

    // What `projections replay` does in its transaction, left open half way.
    const replaying = await holdOpen();
    await replaying.query(
      `SELECT generation FROM projection_generations WHERE name = 'messages' AND state = 'live' FOR KEY SHARE`,
    );
    expect(await messagesProjection.forget!(replaying, generation, streamNameOf(a))).toBe(20);
    const events = await store.readStream(streamNameOf(a));
    await messagesProjection.apply(replaying, events, generation);

    const written = await write(b, 1);
    expect(await visibleWithin(b, written, 3_000)).toBeLessThan(PROMPT_MS);

    // The replayed project itself waits for the replay: its append shows once the replay commits.
    const aWritten = await write(a, 1);
    expect(await visibleWithin(a, aWritten, 300)).toBe(Infinity);
    await release(replaying);
    expect(await visibleWithin(a, aWritten, 3_000)).toBeLessThan(PROMPT_MS);
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM rm_messages WHERE project_id = $1',
      [a],
    );
    expect(rows[0]?.n).toBe(aWritten + 1);
  });
});
