import pg from 'pg';
import { runImport, spawnImport } from './support/cli.js';
import { createTestDatabase } from './support/database.js';
import { freePort } from './support/ports.js';

/** 400 projects of 12 rows: several seconds of appends at one event per append. */
const PROJECTS = 400;
const ROWS = 12;

async function fillLegacyTable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE "bazaar-vid_message" (
      id uuid PRIMARY KEY, "projectId" uuid NOT NULL, content text NOT NULL, role varchar(50) NOT NULL,
      kind varchar(50) DEFAULT 'message' NOT NULL, status varchar(50), image_urls jsonb,
      sequence integer DEFAULT 0 NOT NULL, "createdAt" timestamptz NOT NULL, "updatedAt" timestamptz)`);
    await client.query(
      `INSERT INTO "bazaar-vid_message" (id, "projectId", content, role, status, sequence, "createdAt", "updatedAt")
       SELECT gen_random_uuid(), md5('p' || p)::uuid, 'message ' || n,
              CASE WHEN n % 2 = 0 THEN 'user' ELSE 'assistant' END,
              CASE WHEN n % 2 = 0 THEN NULL ELSE 'success' END, n,
              timestamptz '2025-01-01' + n * interval '1 second', timestamptz '2025-01-01' + n * interval '1 second'
         FROM generate_series(1, $1) p, generate_series(0, $2 - 1) n`,
      [PROJECTS, ROWS],
    );
  } finally {
    await client.end();
  }
}

/** The target's events, without what differs from run to run (the run id). */
async function eventsOf(url: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT stream_name, stream_revision::text, event_id::text, event_type, data,
              metadata - 'correlationId' || jsonb_build_object('legacy', (metadata -> 'legacy') - 'runId') AS metadata
         FROM es_events ORDER BY stream_name, stream_revision`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

async function countEvents(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM es_events WHERE to_regclass('es_events') IS NOT NULL`,
    );
    return Number(rows[0]?.n ?? 0);
  } catch {
    return 0;
  } finally {
    await client.end();
  }
}

describe('import-legacy, interrupted', () => {
  it('killed half-way and run again, ends identical to an uninterrupted import', async () => {
    const source = await createTestDatabase('legacy');
    await fillLegacyTable(source);
    const whole = await createTestDatabase('whole');
    const resumed = await createTestDatabase('resumed');
    const args = ['--source', source, '--batch-size', '1', '--rejects', '/dev/null', '--json'];

    const uninterrupted = await runImport(args, { DATABASE_URL: whole });
    expect(uninterrupted.code).toBe(0);
    const expected = await eventsOf(whole);
    expect(expected).toHaveLength(PROJECTS * (ROWS + ROWS / 2));

    const child = spawnImport(args, { DATABASE_URL: resumed });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (;;) {
      const written = await countEvents(resumed);
      if (written > expected.length / 4) break;
      if (child.exitCode !== null) throw new Error('the import finished before it could be killed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const partial = await countEvents(resumed);
    expect(partial).toBeLessThan(expected.length);

    const again = await runImport(args, { DATABASE_URL: resumed });
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout.trim().split('\n').at(-1) ?? '') as {
      events: number;
      eventsAlreadyImported: number;
    };
    expect(summary.eventsAlreadyImported).toBeGreaterThanOrEqual(partial);
    expect(summary.events + summary.eventsAlreadyImported).toBe(expected.length);
    expect(await eventsOf(resumed)).toEqual(expected);
  });
});

describe('import-legacy, usage and connection errors', () => {
  it.each([
    [[], '--source <postgres url> is required'],
    [['--source', 'postgres://x/y', '--order', 'random'], '--order must be created-at or sequence'],
    [['--source', 'postgres://x/y', '--batch-size', '0'], '--batch-size must be a whole number'],
    [['--source', 'postgres://x/y', '--bogus'], 'unknown argument "--bogus"'],
  ])('%j exits 2 with one line', async (args, message) => {
    const result = await runImport(args, {});
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
  });

  it('an unreachable source exits 2 with one line and no stack', async () => {
    const port = await freePort();
    const result = await runImport(['--source', `postgres://127.0.0.1:${port}/none`], {});
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('cannot connect to the source'),
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing table, or --order sequence without the column, exits 2', async () => {
    const source = await createTestDatabase('legacy');
    const missing = await runImport(['--source', source, '--table', 'nope'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('import-legacy: the source has no table "nope"');
    const client = new pg.Client({ connectionString: source });
    await client.connect();
    await client.query(
      `CREATE TABLE "bazaar-vid_message" (id uuid, "projectId" uuid, content text, role text, "createdAt" timestamptz)`,
    );
    await client.end();
    const noSequence = await runImport(['--source', source, '--order', 'sequence', '--dry-run'], {});
    expect(noSequence.code).toBe(2);
    expect(noSequence.stderr.trim()).toMatch(/has no "sequence" column$/);
  });

  it('an unreachable event store exits 2 with one line', async () => {
    const source = await createTestDatabase('legacy');
    const client = new pg.Client({ connectionString: source });
    await client.connect();
    await client.query(
      `CREATE TABLE "bazaar-vid_message" (id uuid, "projectId" uuid, content text, role text, "createdAt" timestamptz)`,
    );
    await client.end();
    const port = await freePort();
    const result = await runImport(['--source', source], {
      DATABASE_URL: `postgres://127.0.0.1:${port}/none`,
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('cannot open the event store'),
    ]);
  });
});
