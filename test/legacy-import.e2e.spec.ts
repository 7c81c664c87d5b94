import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runImport } from './support/cli.js';
import { createTestDatabase } from './support/database.js';
import { request } from './support/http.js';
import { createLegacyTable, type LegacyRow } from './support/legacy-table.js';
import { startService } from './support/service.js';

interface StoredEvent {
  stream_name: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: Record<string, unknown>;
  metadata: Record<string, any>;
}

/** Every event of the target, in stream order. */
async function storedEvents(url: string): Promise<StoredEvent[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<StoredEvent>(
      `SELECT stream_name, stream_revision::text, event_id::text, event_type, data, metadata
         FROM es_events ORDER BY stream_name, stream_revision`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

function ids(events: StoredEvent[], project: string): string[] {
  return events
    .filter((e) => e.stream_name === `conversation-${project}` && e.event_type !== 'AssistantCompleted')
    .map((e) => e.data.messageId as string);
}

const at = (ms: number) => new Date(Date.UTC(2025, 0, 1) + ms).toISOString();
/** UUIDs that sort as numbered, so a tie on createdAt is broken in a known order. */
const uuid = (n: number, project = 0) =>
  `${String(project).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function setUp(shape: 'analysis' | 'production', rows: LegacyRow[]) {
  const source = await createTestDatabase('legacy');
  const target = await createTestDatabase('target');
  await createLegacyTable(source, shape, rows);
  const rejects = path.join(tmpdir(), `rejects-${randomUUID()}.jsonl`);
  const run = (...args: string[]) =>
    runImport(['--source', source, '--rejects', rejects, ...args], { DATABASE_URL: target });
  return { source, target, rejects, run };
}

function lastJson(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, any>;
}

describe('import-legacy, the production shape', () => {
  const P = uuid(1, 1);
  const rows: LegacyRow[] = [
    {
      id: uuid(1),
      projectId: P,
      role: 'user',
      content: 'Make a video',
      createdAt: at(0),
      sequence: 1,
      image_urls: JSON.stringify(['https://x.test/a.png']),
    },
    {
      id: uuid(2),
      projectId: P,
      role: 'assistant',
      content: 'Here it is',
      status: 'success',
      createdAt: at(10),
      updatedAt: at(900),
      sequence: 2,
      originalTsxCode: 'export {}',
      fixIssues: null,
    },
    {
      id: uuid(3),
      projectId: P,
      role: 'assistant',
      kind: 'status',
      content: 'Building scene',
      status: 'building',
      createdAt: at(20),
      sequence: 2,
    },
    { id: uuid(4), projectId: P, role: 'user', content: 'Shorter', createdAt: at(30), sequence: 0 },
    {
      id: uuid(5),
      projectId: P,
      role: 'assistant',
      content: 'Failed',
      status: 'error',
      createdAt: at(40),
      updatedAt: at(50),
      sequence: 0,
    },
  ];

  it('maps users, replies, completions, kinds, extra columns and legacy sequences; a second run adds nothing', async () => {
    const { target, run } = await setUp('production', rows);
    const first = await run('--json');
    expect(first.stderr).not.toMatch(/failed/);
    expect(first.code).toBe(0);
    expect(lastJson(first.stdout)).toMatchObject({
      projects: 1,
      messages: 5,
      events: 7,
      repairs: 0,
      rejects: 0,
      skippedProjects: 0,
      duplicateLegacySequences: 1,
      zeroLegacySequences: 2,
    });
    const events = await storedEvents(target);
    expect(events.map((e) => [e.event_type, e.data.messageId])).toEqual([
      ['UserMessaged', uuid(1)],
      ['AssistantReserved', uuid(2)],
      ['AssistantCompleted', uuid(2)],
      ['AssistantReserved', uuid(3)],
      ['UserMessaged', uuid(4)],
      ['AssistantReserved', uuid(5)],
      ['AssistantCompleted', uuid(5)],
    ]);
    expect(events[0]?.data).toMatchObject({
      imageUrls: ['https://x.test/a.png'],
      createdAt: at(0),
      kind: 'message',
    });
    expect(events[1]?.data).toMatchObject({ replyTo: uuid(1) });
    expect(events[2]?.data).toMatchObject({ status: 'success', content: 'Here it is', completedAt: at(900) });
    expect(events[2]?.metadata.legacy).toMatchObject({
      table: 'bazaar-vid_message',
      sequence: 2,
      columns: { originalTsxCode: 'export {}' },
    });
    expect(events[3]?.data).toMatchObject({ kind: 'status', content: 'Building scene', replyTo: uuid(1) });
    expect(events[5]?.data).toMatchObject({ replyTo: uuid(4) });
    expect(events[6]?.data).toMatchObject({ status: 'error' });

    const second = await run('--json');
    expect(second.code).toBe(0);
    expect(lastJson(second.stdout)).toMatchObject({ events: 0, eventsAlreadyImported: 7 });
    expect(await storedEvents(target)).toEqual(events);
  });

  it('orders by the legacy sequence on request', async () => {
    const { target, run } = await setUp('production', [
      { id: uuid(1), projectId: P, role: 'user', content: 'second by time', createdAt: at(0), sequence: 2 },
      {
        id: uuid(2),
        projectId: P,
        role: 'user',
        content: 'first by sequence',
        createdAt: at(5),
        sequence: 1,
      },
    ]);
    expect((await run('--order', 'sequence')).code).toBe(0);
    expect(ids(await storedEvents(target), P)).toEqual([uuid(2), uuid(1)]);
  });

  it('reads back over HTTP as the history, written while the service runs', async () => {
    const { target, run } = await setUp('production', rows);
    const service = await startService({ DATABASE_URL: target });
    try {
      expect((await run()).code).toBe(0);
      const page = await request(service.baseUrl, 'GET', `/v1/projects/${P}/messages?minRevision=6`);
      expect(page.status).toBe(200);
      expect(page.body.data).toEqual([
        expect.objectContaining({
          id: uuid(1),
          sequence: 0,
          role: 'user',
          kind: 'message',
          status: 'success',
          content: 'Make a video',
          imageUrls: ['https://x.test/a.png'],
          createdAt: at(0),
        }),
        expect.objectContaining({
          id: uuid(2),
          sequence: 1,
          role: 'assistant',
          status: 'success',
          content: 'Here it is',
          replyTo: uuid(1),
          updatedAt: at(900),
          revision: 2,
        }),
        expect.objectContaining({
          id: uuid(3),
          sequence: 3,
          kind: 'status',
          status: 'pending',
          content: 'Building scene',
        }),
        expect.objectContaining({ id: uuid(4), sequence: 4, role: 'user' }),
        expect.objectContaining({
          id: uuid(5),
          sequence: 5,
          status: 'error',
          content: 'Failed',
          replyTo: uuid(4),
        }),
      ]);
    } finally {
      await service.stop();
    }
  });
});

describe('import-legacy, the shape the analysis describes', () => {
  const P = uuid(2, 2);
  // The assistant placeholder was stamped 3 ms before the user message it answers; two user
  // messages share a timestamp.
  const rows: LegacyRow[] = [
    { id: uuid(9), projectId: P, role: 'user', content: 'tie, later id', createdAt: at(0), createdBy: 'u-1' },
    {
      id: uuid(8),
      projectId: P,
      role: 'user',
      content: 'tie, earlier id',
      createdAt: at(0),
      imageUrls: ['https://x.test/b.png'],
    },
    {
      id: uuid(20),
      projectId: P,
      role: 'assistant',
      content: 'Generating code',
      createdAt: at(97),
      createdBy: 'u-1',
    },
    { id: uuid(21), projectId: P, role: 'user', content: 'the question', createdAt: at(100) },
  ];

  it('breaks timestamp ties by id and leaves the race alone without a window', async () => {
    const { target, run } = await setUp('analysis', rows);
    const result = await run('--json');
    expect(result.code).toBe(0);
    expect(lastJson(result.stdout)).toMatchObject({ repairs: 0, duplicateLegacySequences: 0 });
    const events = await storedEvents(target);
    expect(ids(events, P)).toEqual([uuid(8), uuid(9), uuid(20), uuid(21)]);
    expect(events[0]?.data).toMatchObject({ imageUrls: ['https://x.test/b.png'], createdBy: null });
    expect(events[1]?.data).toMatchObject({ createdBy: 'u-1' });
    expect(events[2]?.data).toMatchObject({ replyTo: uuid(9), content: 'Generating code' });
  });

  it('repairs the race within --pair-window-ms, and counts it', async () => {
    const { target, run } = await setUp('analysis', rows);
    const result = await run('--json', '--pair-window-ms', '5');
    expect(result.code).toBe(0);
    expect(lastJson(result.stdout)).toMatchObject({ repairs: 1 });
    const events = await storedEvents(target);
    expect(ids(events, P)).toEqual([uuid(8), uuid(9), uuid(21), uuid(20)]);
    expect(events[3]?.data).toMatchObject({ replyTo: uuid(21) });
  });

  it('does not repair beyond the window', async () => {
    const { target, run } = await setUp('analysis', rows);
    expect(lastJson((await run('--json', '--pair-window-ms', '2')).stdout)).toMatchObject({ repairs: 0 });
    expect(ids(await storedEvents(target), P)).toEqual([uuid(8), uuid(9), uuid(20), uuid(21)]);
  });

  it('rejects every kind of bad row to the rejects file and goes on', async () => {
    const bad: LegacyRow[] = [
      { id: uuid(31), projectId: null, role: 'user', content: 'x', createdAt: at(0) },
      { id: uuid(32), projectId: P, role: 'system', content: 'x', createdAt: at(1) },
      { id: uuid(33), projectId: P, role: 'user', content: null, createdAt: at(2) },
      { id: uuid(34), projectId: P, role: 'user', content: 'x'.repeat(100_001), createdAt: at(3) },
      { id: uuid(36), projectId: P, role: 'user', content: 'x', imageUrls: null, createdAt: null },
      { id: uuid(37), projectId: P, role: 'assistant', content: 'x', status: 'done', createdAt: at(5) },
    ];
    const { target, rejects, run } = await setUp('analysis', [...rows, ...bad]);
    const result = await run('--json');
    expect(result.code).toBe(1);
    expect(lastJson(result.stdout)).toMatchObject({ messages: 4, rejects: 6 });
    const lines = (await readFile(rejects, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual(
      expect.arrayContaining([
        { id: uuid(31), projectId: null, reason: 'no project id' },
        { id: uuid(32), projectId: P, reason: 'unknown role "system"' },
        { id: uuid(33), projectId: P, reason: 'null content' },
        { id: uuid(34), projectId: P, reason: 'content over 100,000 characters' },
        { id: uuid(36), projectId: P, reason: 'no createdAt' },
        { id: uuid(37), projectId: P, reason: 'unknown status "done"' },
      ]),
    );
    expect(ids(await storedEvents(target), P)).toHaveLength(4);
    expect((await run('--allow-rejects')).code).toBe(0);
  });

  it('rejects image URLs that are not a list of strings', async () => {
    const { rejects, run } = await setUp('production', [
      {
        id: uuid(41),
        projectId: P,
        role: 'user',
        content: 'a',
        createdAt: at(0),
        image_urls: JSON.stringify({ url: 'x' }),
      },
      {
        id: uuid(42),
        projectId: P,
        role: 'user',
        content: 'b',
        createdAt: at(1),
        image_urls: JSON.stringify([1]),
      },
      {
        id: uuid(43),
        projectId: P,
        role: 'user',
        content: 'c',
        createdAt: at(2),
        image_urls: JSON.stringify(['https://x.test/c.png']),
      },
    ]);
    const result = await run('--json');
    expect(result.code).toBe(1);
    expect(lastJson(result.stdout)).toMatchObject({ messages: 1, rejects: 2 });
    const reasons = (await readFile(rejects, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons).toEqual([
      'malformed image URLs (not an array of strings)',
      'malformed image URLs (not an array of strings)',
    ]);
  });

  it('leaves a project written through the API alone, and --project limits the run', async () => {
    const other = uuid(3, 3);
    const { target, run } = await setUp('analysis', [
      ...rows,
      { id: uuid(50), projectId: other, role: 'user', content: 'elsewhere', createdAt: at(0) },
    ]);
    const service = await startService({ DATABASE_URL: target });
    try {
      const posted = await request(service.baseUrl, 'POST', `/v1/projects/${P}/messages`, {
        content: 'live',
      });
      expect(posted.status).toBe(201);
    } finally {
      await service.stop();
    }
    const limited = await run('--json', '--project', other);
    expect(lastJson(limited.stdout)).toMatchObject({ projects: 1, events: 1, skippedProjects: 0 });
    const all = await run('--json');
    expect(all.code).toBe(0);
    expect(lastJson(all.stdout)).toMatchObject({
      skippedProjects: 1,
      skipped: [{ projectId: P, reason: 'its stream holds events that were not imported' }],
      events: 0,
    });
    expect(ids(await storedEvents(target), P)).toHaveLength(1);
  });

  it('writes nothing on a dry run', async () => {
    const { target, run } = await setUp('analysis', rows);
    const result = await run('--json', '--dry-run');
    expect(result.code).toBe(0);
    expect(lastJson(result.stdout)).toMatchObject({ dryRun: true, events: 4, messages: 4 });
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    const { rows: tables } = await client.query(`SELECT 1 FROM pg_tables WHERE tablename = 'es_events'`);
    await client.end();
    expect(tables).toHaveLength(0);
  });
});
