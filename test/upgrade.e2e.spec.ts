import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PROJECTOR_MIGRATIONS } from '../projections/index.js';
import { messagesProjection } from '../projections/messages/messages.projection.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { migrate } from '../src/database/migrations.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';
import { newEvent } from './support/events.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

/** The messages read model as version 1 of the projection created it, generation 1. */
const VERSION_1_TABLES = `
  CREATE TABLE rm_messages_g1 (
    project_id text NOT NULL, sequence bigint NOT NULL, id uuid NOT NULL, role text NOT NULL,
    status text NOT NULL, content text NOT NULL, image_urls jsonb NOT NULL, reply_to uuid,
    created_at timestamptz NOT NULL, updated_at timestamptz, created_by text, revision bigint NOT NULL,
    PRIMARY KEY (project_id, sequence)
  );
  CREATE UNIQUE INDEX rm_messages_g1_id ON rm_messages_g1 (project_id, id);
  CREATE TABLE rm_projects_g1 (project_id text PRIMARY KEY, revision bigint NOT NULL);
  CREATE VIEW rm_messages AS SELECT * FROM rm_messages_g1;
  CREATE VIEW rm_projects AS SELECT * FROM rm_projects_g1;`;

const AT = '2026-11-01T10:00:00.000Z';
const LATER = '2026-11-01T10:00:05.000Z';

let databaseUrl: string;
let service: RunningService | undefined;
afterAll(async () => service?.stop());

/** What the previous version wrote: version 1 events, and the read model it projected from them. */
async function writeAsTheOldVersion(old: string, user: string, reply: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  try {
    await migrate(pool, [EVENT_STORE_MIGRATIONS, PROJECTOR_MIGRATIONS]);
    const store = new PostgresEventStore(pool);
    await store.append(
      streamNameOf(old),
      [
        newEvent('UserMessaged', {
          messageId: user,
          projectId: old,
          content: 'question',
          imageUrls: [],
          createdBy: null,
          createdAt: AT,
        }),
        newEvent('AssistantReserved', {
          messageId: reply,
          projectId: old,
          content: '…',
          replyTo: user,
          createdBy: null,
          createdAt: AT,
        }),
        newEvent('AssistantCompleted', {
          messageId: reply,
          projectId: old,
          content: 'answer',
          status: 'success',
          completedAt: LATER,
        }),
      ],
      'no_stream',
    );
    const { events } = await store.readAll({ maxCount: 10 });
    await pool.query(VERSION_1_TABLES);
    await pool.query(
      `INSERT INTO rm_messages_g1 VALUES
         ($1, 0, $2, 'user', 'success', 'question', '[]', NULL, $4, NULL, NULL, 0),
         ($1, 1, $3, 'assistant', 'success', 'answer', '[]', $2, $4, $5, NULL, 2)`,
      [old, user, reply, AT, LATER],
    );
    await pool.query(`INSERT INTO rm_projects_g1 VALUES ($1, 2)`, [old]);
    await pool.query(
      `INSERT INTO projection_generations (name, generation, version, state, position, events_applied)
       VALUES ('messages', 1, 1, 'live', $1, 3)`,
      [events.at(-1)?.position],
    );
    await store.close?.();
  } finally {
    await pool.end();
  }
}

async function liveGeneration(): Promise<{ generation: number; version: number }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [status] = (await request(service!.baseUrl, 'GET', '/v1/projections')).body;
    if ((status.version === messagesProjection.version && status.rebuild === null) || Date.now() > deadline)
      return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('starts on a database the previous version wrote: serves its data at once, rebuilds, then serves old and new', async () => {
  databaseUrl = await createTestDatabase('upgrade');
  const old = projectId('old');
  const [user, reply] = [randomUUID(), randomUUID()];
  await writeAsTheOldVersion(old, user, reply);

  service = await startService({ DATABASE_URL: databaseUrl });
  const before = await request(service.baseUrl, 'GET', `/v1/projects/${old}/messages`);
  expect(before.status).toBe(200);
  expect(before.body.data.map((m: any) => [m.content, m.metadata])).toEqual([
    ['question', {}],
    ['answer', {}],
  ]);

  const fresh = projectId('new');
  const id = randomUUID();
  const path = `/v1/projects/${fresh}/assistant-messages`;
  expect((await request(service.baseUrl, 'POST', path, { id, metadata: { model: 'm-2' } })).status).toBe(201);
  expect(
    (await request(service.baseUrl, 'POST', `${path}/${id}/stream`, { offset: 0, delta: 'new' })).status,
  ).toBe(200);
  const completed = await request(service.baseUrl, 'POST', `${path}/${id}/complete`, {
    metadata: { tokens: 3 },
  });
  expect(completed.body).toMatchObject({ content: 'new', metadata: { model: 'm-2', tokens: 3 } });

  expect(await liveGeneration()).toMatchObject({
    name: 'messages',
    version: messagesProjection.version,
    generation: 2,
    status: 'running',
  });
  const oldAfter = await request(service.baseUrl, 'GET', `/v1/projects/${old}/messages`);
  expect(oldAfter.body.data).toEqual(before.body.data);
  const freshAfter = await request(
    service.baseUrl,
    'GET',
    `/v1/projects/${fresh}/messages/${id}?minRevision=2`,
  );
  expect(freshAfter.body).toMatchObject({
    content: 'new',
    status: 'success',
    metadata: { model: 'm-2', tokens: 3 },
  });
  const listed = await request(service.baseUrl, 'GET', '/v1/projects');
  expect(listed.body.data).toEqual([
    expect.objectContaining({ projectId: fresh, messageCount: 1, revision: 2 }),
    expect.objectContaining({
      projectId: old,
      messageCount: 2,
      revision: 2,
      createdAt: AT,
      lastMessageAt: LATER,
    }),
  ]);
});
