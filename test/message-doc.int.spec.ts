import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type MessageRow, PROJECTOR_MIGRATIONS, toMessage } from '../projections/index.js';
import { messagesProjection } from '../projections/messages/messages.projection.js';
import { ensureLiveGeneration } from '../projections/projector/generations.js';
import { Projector } from '../projections/projector/projector.js';
import { type Config } from '../src/config/config.js';
import { type ConversationCommand } from '../src/conversation/conversation.decide.js';
import { ConversationCommandProcessor } from '../src/conversation/conversation.processor.js';
import { type Message } from '../src/conversation/message.js';
import { migrate } from '../src/database/migrations.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { GetMessages, GetMessagesHandler } from '../src/read/messages/get-messages.query.js';
import { type ProjectedRevisions } from '../src/read/messages/projected-revisions.js';
import { commandContext } from './support/commands.js';
import { createTestDatabase } from './support/database.js';

/**
 * Each message's JSON is kept in its row (`doc`) as the projector writes it, and a page of history
 * is those joined: what every write leaves there must be the message its columns hold.
 */
let pool: pg.Pool;
let store: PostgresEventStore;
let projector: Projector;
let processor: ConversationCommandProcessor;

beforeAll(async () => {
  const url = await createTestDatabase('doc');
  pool = new pg.Pool({ connectionString: url, max: 10 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS, PROJECTOR_MIGRATIONS]);
  store = new PostgresEventStore(pool);
  const client = await pool.connect();
  await ensureLiveGeneration(client, messagesProjection).finally(() => client.release());
  projector = new Projector(url, store, messagesProjection, {
    pollMs: 20,
    standbyRetryMs: 100,
    batchSize: 100,
  });
  projector.start();
  processor = new ConversationCommandProcessor(store, { stateCacheBytes: 1024 * 1024 } as Config);
});
afterAll(async () => {
  await projector.stop();
  await store.close();
  await pool.end();
});

const now = (): string => new Date().toISOString();
const run = (command: ConversationCommand) => processor.execute(command, commandContext());

async function rows(projectId: string): Promise<(MessageRow & { doc: string | null })[]> {
  const { rows } = await pool.query<MessageRow & { doc: string | null }>(
    'SELECT * FROM rm_messages WHERE project_id = $1 ORDER BY sequence',
    [projectId],
  );
  return rows;
}

async function projected(projectId: string, revision: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await pool.query<{ revision: string }>(
      'SELECT revision FROM rm_projects WHERE project_id = $1',
      [projectId],
    );
    if (Number(rows[0]?.revision ?? -1) >= revision) return;
    if (Date.now() > deadline) throw new Error(`${projectId} not projected to ${revision}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('every stored message JSON is the message of its columns, and a page is those messages', async () => {
  const projectId = `doc-${randomUUID()}`;
  const user = randomUUID();
  const done = randomUUID();
  const streaming = randomUUID();
  await run({
    type: 'PostUserMessage',
    projectId,
    messageId: user,
    content: 'Quotes " and \\ backslash, ünïcödé, emoji 🎬, a\nnew line',
    imageUrls: ['https://example.com/a.png'],
    createdBy: 'user-1',
    metadata: { clip: { id: 7, at: [1.5, 2] }, a: 'first' },
    now: now(),
  });
  await run({
    type: 'ReserveAssistantMessage',
    projectId,
    messageId: done,
    content: '',
    replyTo: user,
    createdBy: null,
    metadata: { model: 'm-1' },
    now: now(),
  });
  await run({ type: 'StreamAssistantDelta', projectId, messageId: done, offset: 0, delta: 'Hel' });
  await run({ type: 'StreamAssistantDelta', projectId, messageId: done, offset: 3, delta: 'lo' });
  await run({
    type: 'ReserveAssistantMessage',
    projectId,
    messageId: streaming,
    content: '',
    replyTo: user,
    createdBy: null,
    metadata: {},
    now: now(),
  });
  // Projected before its piece comes, so that the piece updates the row.
  await projected(
    projectId,
    (await run({ type: 'StreamAssistantDelta', projectId, messageId: streaming, offset: 0, delta: 'Wo' }))
      .revision,
  );
  await run({ type: 'StreamAssistantDelta', projectId, messageId: streaming, offset: 2, delta: 'r' });
  const last = await run({
    type: 'CompleteAssistantMessage',
    projectId,
    messageId: done,
    content: undefined,
    status: 'success',
    metadata: { usage: { output: 3 } },
    now: now(),
  });
  await projected(projectId, last.revision);

  const stored = await rows(projectId);
  expect(stored.map((row) => [row.id, row.status])).toEqual([
    [user, 'success'],
    [done, 'success'],
    [streaming, 'pending'],
  ]);
  const [userRow, doneRow, streamingRow] = stored;
  // Written with the row, and again by the completion; left out once a piece of a reply updates it.
  expect(JSON.parse(userRow?.doc ?? 'null')).toEqual(toMessage(userRow!));
  expect(JSON.parse(doneRow?.doc ?? 'null')).toEqual(toMessage(doneRow!));
  expect(toMessage(streamingRow!).content).toBe('Wor');
  expect(toMessage(doneRow!)).toMatchObject({
    content: 'Hello',
    metadata: { model: 'm-1', usage: { output: 3 } },
  });
  expect(streamingRow?.doc).toBeNull();

  const page = await new GetMessagesHandler(pool, {} as ProjectedRevisions).execute(
    new GetMessages(projectId, 50, {}, undefined),
  );
  const messages = JSON.parse(page.dataJson) as Message[];
  expect(messages).toEqual(stored.map((row) => toMessage(row)));
  expect(page.hasMore).toBe(false);
});

it('a page mixes rows with and without stored JSON (a generation written before it was kept)', async () => {
  const projectId = `doc-old-${randomUUID()}`;
  let revision = -1;
  for (let i = 0; i < 5; i++)
    revision = (
      await run({
        type: 'PostUserMessage',
        projectId,
        messageId: randomUUID(),
        content: `message ${i}`,
        imageUrls: [],
        createdBy: null,
        metadata: {},
        now: now(),
      })
    ).revision;
  await projected(projectId, revision);
  await pool.query(`UPDATE rm_messages SET doc = NULL WHERE project_id = $1 AND sequence % 2 = 0`, [
    projectId,
  ]);
  const stored = await rows(projectId);
  const handler = new GetMessagesHandler(pool, {} as ProjectedRevisions);
  const newest = await handler.execute(new GetMessages(projectId, 3, {}, undefined));
  expect(JSON.parse(newest.dataJson)).toEqual(stored.slice(2).map((row) => toMessage(row)));
  expect(newest.hasMore).toBe(true);
  const older = await handler.execute(new GetMessages(projectId, 3, { before: 2 }, undefined));
  expect(JSON.parse(older.dataJson)).toEqual(stored.slice(0, 2).map((row) => toMessage(row)));
  expect(older.hasMore).toBe(false);
});
