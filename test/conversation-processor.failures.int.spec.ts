import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Config } from '../src/config/config.js';
import { ConversationCommandProcessor } from '../src/conversation/conversation.processor.js';
import { migrate } from '../src/database/migrations.js';
import { EventStoreUnavailableError } from '../src/event-store/event-store.port.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';

/**
 * The command path over the real store: a command whose content PostgreSQL refuses (validation
 * keeps such content out over HTTP; this goes around it) fails on its own. Commands for one
 * conversation leave in one append, and appends for many conversations in one transaction;
 * neither grouping may make another client's command fail.
 */

let pool: pg.Pool;
let store: PostgresEventStore;
let processor: ConversationCommandProcessor;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase('processor_failures'), max: 20 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS]);
  store = new PostgresEventStore(pool);
  processor = new ConversationCommandProcessor(store, { stateCacheBytes: 64 * 1024 * 1024 } as Config);
});
afterAll(async () => {
  await store.close();
  await pool.end();
});

function post(projectId: string, messageId: string, content: string) {
  return processor.execute(
    {
      type: 'PostUserMessage',
      projectId,
      messageId,
      content,
      metadata: {},
      imageUrls: [],
      createdBy: null,
      now: new Date().toISOString(),
    },
    { correlationId: null, causationId: randomUUID(), userId: null },
  );
}

const REFUSED = ['\u0000', 'lone \ud800', '\udfff'];

it('64 clients on 24 conversations, 8 of them sending refused content: every other command succeeds, once, in order', async () => {
  // 8 shared conversations with 4 clients each (one of them sending refused content every
  // other time), and 16 conversations of one well-behaved client each.
  const shared = Array.from({ length: 8 }, () => `shared-${randomUUID()}`);
  const solo = Array.from({ length: 16 }, () => `solo-${randomUUID()}`);
  const clients = [
    ...shared.flatMap((projectId) => [0, 1, 2, 3].map((c) => ({ projectId, bad: c === 0 }))),
    ...solo.map((projectId) => ({ projectId, bad: false })),
    ...Array.from({ length: 16 }, (_, c) => ({ projectId: shared[c % shared.length]!, bad: false })),
  ];
  expect(clients).toHaveLength(64);
  const rounds = 12;
  const acknowledged = clients.map(() => [] as string[]);
  const refusals: unknown[] = [];
  const unexpected: unknown[] = [];

  await Promise.all(
    clients.map(async ({ projectId, bad }, c) => {
      for (let i = 0; i < rounds; i++) {
        if (bad && i % 2 === 0) {
          const content = `client ${c} message ${i} ${REFUSED[i % REFUSED.length]}`;
          const error = await post(projectId, randomUUID(), content).then(
            () => new Error('refused content was accepted'),
            (e: unknown) => e,
          );
          refusals.push(error);
          continue;
        }
        const id = randomUUID();
        try {
          const outcome = await post(projectId, id, `client ${c} message ${i}`);
          expect(outcome.appended).toBe(true);
          acknowledged[c]!.push(id);
        } catch (error) {
          unexpected.push(error);
        }
      }
    }),
  );

  expect(unexpected).toEqual([]);
  expect(refusals).toHaveLength(8 * (rounds / 2));
  for (const error of refusals) {
    expect(error).not.toBeInstanceOf(EventStoreUnavailableError);
    expect((error as { code?: string }).code).toMatch(/^22P0[25]$/);
  }
  for (const projectId of [...shared, ...solo]) {
    const stored = await store.readStream(streamNameOf(projectId));
    const ids = stored.map((event) => (event.data as { messageId: string }).messageId);
    expect(stored.map((event) => event.revision)).toEqual(stored.map((_, i) => BigInt(i)));
    expect(new Set(ids).size).toBe(ids.length);
    const own = clients.flatMap((client, c) => (client.projectId === projectId ? [acknowledged[c]!] : []));
    // Every acknowledged message once, each client's in the order it sent them, nothing else.
    expect(ids).toHaveLength(own.reduce((sum, list) => sum + list.length, 0));
    for (const list of own) expect(ids.filter((id) => list.includes(id))).toEqual(list);
  }
});
