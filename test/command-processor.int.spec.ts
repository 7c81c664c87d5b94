import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Config } from '../src/config/config.js';
import {
  ConversationCommandProcessor,
  PreconditionFailedError,
} from '../src/conversation/conversation.processor.js';
import { migrate } from '../src/database/migrations.js';
import {
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
} from '../src/event-store/event-store.port.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { commandContext, postUserMessage } from './support/commands.js';
import { createTestDatabase } from './support/database.js';

let pool: pg.Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase('processor'), max: 10 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS]);
  store = new PostgresEventStore(pool);
});
afterAll(async () => {
  await store.close();
  await pool.end();
});

const config = { stateCacheBytes: 16 * 1024 * 1024 } as Config;
const context = commandContext;
const post = (projectId: string, messageId: string, content: string) =>
  postUserMessage(projectId, messageId, content);

/**
 * Another instance, in effect: before each of this instance's first `wins` appends to the
 * stream, a foreign message lands first, so the expected revision is stale every time.
 */
class RacedStore implements EventStore {
  raced = 0;
  constructor(
    private readonly inner: EventStore,
    private readonly wins: number,
  ) {}

  async append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision) {
    if (this.raced < this.wins) {
      this.raced++;
      const foreign = events.map((event) => ({
        ...event,
        id: randomUUID(),
        data: { ...(event.data as object), messageId: randomUUID(), content: `foreign ${this.raced}` },
      }));
      await this.inner.append(streamName, foreign, 'any');
    }
    return this.inner.append(streamName, events, expected);
  }
  readStream: EventStore['readStream'] = (...args) => this.inner.readStream(...args);
  streamRevision: EventStore['streamRevision'] = (...args) => this.inner.streamRevision(...args);
  readAll: EventStore['readAll'] = (...args) => this.inner.readAll(...args);
  countAfter: EventStore['countAfter'] = (...args) => this.inner.countAfter(...args);
  eraseStream: EventStore['eraseStream'] = (...args) => this.inner.eraseStream(...args);
  watchAppends: EventStore['watchAppends'] = (...args) => this.inner.watchAppends(...args);
  ping: EventStore['ping'] = () => this.inner.ping();
  close: EventStore['close'] = () => Promise.resolve();
}

describe('per-command answers in a shared append', () => {
  it('a retry that leaves in one append with new messages answers as a retry, each with its own revision', async () => {
    const processor = new ConversationCommandProcessor(store, config);
    const p = `shared-${randomUUID()}`;
    const original = randomUUID();
    await processor.execute(post(p, original, 'original'), context());
    // While the first command is in flight, the next three queue and leave in one append.
    const first = processor.execute(post(p, randomUUID(), 'busy'), context());
    const [newOne, retry, newTwo] = await Promise.all([
      processor.execute(post(p, randomUUID(), 'new one'), context()),
      processor.execute(post(p, original, 'original'), context()),
      processor.execute(post(p, randomUUID(), 'new two'), context()),
    ]);
    await first;
    expect(newOne).toMatchObject({ appended: true, revision: 2 });
    expect(retry).toMatchObject({ appended: false, revision: 2 });
    expect(retry.messages[0]).toMatchObject({ id: original, sequence: 0 });
    expect(newTwo).toMatchObject({ appended: true, revision: 3 });
    expect(await store.streamRevision(streamNameOf(p))).toBe(3n);
  });

  it('a retry pinned with an If-Match that has since gone stale answers with the original', async () => {
    const processor = new ConversationCommandProcessor(store, config);
    const p = `pinned-${randomUUID()}`;
    const id = randomUUID();
    const created = await processor.execute(post(p, id, 'pinned'), context({ noStream: true }));
    expect(created).toMatchObject({ appended: true, revision: 0 });
    await processor.execute(post(p, randomUUID(), 'later'), context());
    const retry = await processor.execute(post(p, id, 'pinned'), context({ noStream: true }));
    expect(retry).toMatchObject({ appended: false, revision: 1 });
    expect(retry.messages[0]).toMatchObject({ id, sequence: 0 });
    // Not a retry: a different message with the same stale precondition still fails it.
    await expect(
      processor.execute(post(p, randomUUID(), 'new'), context({ revision: 0 })),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
  });
});

describe('races with other instances', () => {
  it('gets through after losing the race 30 times in a row', async () => {
    const raced = new RacedStore(store, 30);
    const processor = new ConversationCommandProcessor(raced, config);
    const p = `raced-${randomUUID()}`;
    const id = randomUUID();
    const outcome = await processor.execute(post(p, id, 'finally'), context());
    expect(raced.raced).toBe(30);
    expect(outcome).toMatchObject({ appended: true, revision: 30 });
    const events = await store.readStream(streamNameOf(p));
    expect(events).toHaveLength(31);
    expect(events.filter((event) => (event.data as { messageId: string }).messageId === id)).toHaveLength(1);
  });
});
