import type pg from 'pg';
import { type Message } from '../../conversation/message.js';
import {
  type EventStore,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../../event-store/event-store.port.js';
import { MessageChangeReader } from './message-changes.js';

const P = 'p1';
const at = '2026-01-01T00:00:00.000Z';
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function recorded(revision: number, type: string, data: Record<string, unknown>): RecordedEvent {
  return {
    id: uuid(100_000 + revision),
    streamName: `conversation-${P}`,
    revision: BigInt(revision),
    type,
    data: { projectId: P, ...data },
    metadata: { correlationId: null, causationId: null, userId: null, schemaVersion: 1 },
    createdAt: new Date(at),
    position: String(revision),
  };
}
const user = (rev: number, id: number) =>
  recorded(rev, 'UserMessaged', {
    messageId: uuid(id),
    content: `u${id}`,
    imageUrls: [],
    createdBy: null,
    createdAt: at,
  });
const reserved = (rev: number, id: number) =>
  recorded(rev, 'AssistantReserved', {
    messageId: uuid(id),
    content: 'thinking',
    replyTo: null,
    createdBy: 'me',
    createdAt: at,
  });
const completed = (rev: number, id: number) =>
  recorded(rev, 'AssistantCompleted', {
    messageId: uuid(id),
    content: 'done',
    status: 'success',
    completedAt: '2026-01-01T00:00:05.000Z',
  });

class FakeStore {
  readonly calls: ReadStreamOptions[] = [];
  constructor(readonly events: RecordedEvent[]) {}
  async readStream(_stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.calls.push(options);
    const max = options.maxCount ?? Infinity;
    if (options.direction === 'backwards') {
      const from = Number(options.fromRevision);
      return this.events
        .filter((e) => Number(e.revision) <= from)
        .reverse()
        .slice(0, max);
    }
    return this.events.filter((e) => e.revision >= (options.fromRevision ?? 0n)).slice(0, max);
  }
}

function reader(events: RecordedEvent[], rows: unknown[] = []) {
  const store = new FakeStore(events);
  const queries: unknown[][] = [];
  const pool = {
    query: async (query: { values: unknown[] }) => {
      queries.push(query.values);
      return { rows };
    },
  } as unknown as pg.Pool;
  return { store, queries, reader: new MessageChangeReader(store as unknown as EventStore, pool) };
}

function parse(frame: string): { id: number; event: string; message: Message } {
  const [id, event, data] = frame.split('\n');
  expect(frame.endsWith('\n\n')).toBe(true);
  return {
    id: Number(id?.replace('id: ', '')),
    event: event?.replace('event: ', '') ?? '',
    message: JSON.parse(data?.replace('data: ', '') ?? '') as Message,
  };
}

describe('MessageChangeReader', () => {
  it('frames each event as the message at that revision, a completion from the same page', async () => {
    const { reader: changes, queries } = reader([user(0, 1), reserved(1, 2), completed(2, 2)]);
    const frames = (await changes.read(P, 0, 500)).map((change) => parse(change.frame));
    expect(frames.map((f) => [f.id, f.event])).toEqual([
      [0, 'message.created'],
      [1, 'message.created'],
      [2, 'message.updated'],
    ]);
    expect(frames[2]?.message).toEqual({
      id: uuid(2),
      projectId: P,
      sequence: 1,
      role: 'assistant',
      kind: 'message',
      status: 'success',
      content: 'done',
      imageUrls: [],
      replyTo: null,
      createdAt: at,
      updatedAt: '2026-01-01T00:00:05.000Z',
      createdBy: 'me',
      revision: 2,
      metadata: {},
    });
    expect(frames[1]?.message).toMatchObject({ status: 'pending', content: 'thinking', revision: 1 });
    expect(queries).toEqual([]);
  });

  it('takes the base of an earlier message from the read model', async () => {
    const row = {
      project_id: P,
      sequence: '1',
      id: uuid(2),
      role: 'assistant',
      status: 'pending',
      content: 'thinking',
      image_urls: [],
      reply_to: null,
      created_at: at,
      updated_at: null,
      created_by: 'me',
      revision: '1',
    };
    const { reader: changes, store, queries } = reader([user(0, 1), reserved(1, 2), completed(2, 2)], [row]);
    const [change] = await changes.read(P, 2, 500);
    expect(parse(change?.frame ?? '').message).toMatchObject({ sequence: 1, status: 'success', revision: 2 });
    expect(queries).toEqual([[P, [uuid(2)]]]);
    expect(store.calls).toHaveLength(1);
  });

  it('finds it in the log, reading backwards page by page, when the read model lags', async () => {
    const events = [reserved(0, 2), ...Array.from({ length: 700 }, (_, i) => user(i + 1, 10 + i))];
    events.push(completed(701, 2));
    const { reader: changes, store } = reader(events);
    const [change] = await changes.read(P, 701, 500);
    expect(parse(change?.frame ?? '')).toMatchObject({
      id: 701,
      event: 'message.updated',
      message: { id: uuid(2), sequence: 0, status: 'success', createdBy: 'me', revision: 701 },
    });
    expect(store.calls.filter((call) => call.direction === 'backwards')).toHaveLength(2);
  });

  it('stops at a hole in the revisions', async () => {
    const { reader: changes } = reader([user(3, 1), user(4, 2), user(6, 3)]);
    expect((await changes.read(P, 3, 500)).map((change) => change.revision)).toEqual([3, 4]);
  });

  it('fails on an event it cannot read rather than skipping it', async () => {
    const { reader: changes } = reader([recorded(0, 'Mystery', {})]);
    await expect(changes.read(P, 0, 500)).rejects.toThrow(/unknown event type/);
  });
});
