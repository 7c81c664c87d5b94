import { randomUUID } from 'node:crypto';
import { type Config } from '../src/config/config.js';
import { MessageIdConflictError } from '../src/conversation/conversation.errors.js';
import { ConversationCommandProcessor } from '../src/conversation/conversation.processor.js';
import {
  type AppendResult,
  EventStoreUnavailableError,
  type ExpectedRevision,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../src/event-store/event-store.port.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { InMemoryEventStore } from '../src/event-store/in-memory/in-memory-event-store.js';
import { commandContext, postUserMessage } from './support/commands.js';

/**
 * The command path over the in-memory store, with the store's answers scripted: what another
 * instance or a dropped connection would make of an append, without a database.
 */

type Step = (append: () => Promise<AppendResult>, events: readonly NewEvent[]) => Promise<AppendResult>;

class ScriptedStore extends InMemoryEventStore {
  readonly appends: { events: readonly NewEvent[]; expected: ExpectedRevision }[] = [];
  /** How the next appends go, one step each; later appends simply append. */
  readonly steps: Step[] = [];
  failReads = false;

  appendAsAnother(streamName: string, event: NewEvent) {
    return super.append(streamName, [event], 'any');
  }

  override async append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision) {
    this.appends.push({ events, expected });
    const step = this.steps.shift() ?? ((append) => append());
    return step(() => super.append(streamName, events, expected), events);
  }

  override async readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    if (this.failReads) throw new EventStoreUnavailableError('event store unreachable');
    return super.readStream(streamName, options);
  }
}

const NOW = '2026-11-26T10:00:00.000Z';
const config = { stateCacheBytes: 1024 * 1024 } as Config;
const context = () => commandContext();
const unknownOutcome = () =>
  new EventStoreUnavailableError('the connection dropped during an append', {
    operation: 'append',
    outcomeUnknown: true,
  });

const post = (projectId: string, messageId: string, content: string) =>
  postUserMessage(projectId, messageId, content, NOW);

let store: ScriptedStore;
let processor: ConversationCommandProcessor;
let project: string;
const stored = () => store.readStream(streamNameOf(project));
const messageIds = async () => (await stored()).map((e) => (e.data as { messageId: string }).messageId);

beforeEach(() => {
  store = new ScriptedStore();
  processor = new ConversationCommandProcessor(store, config);
  project = `p-${randomUUID()}`;
});

/** Another instance stores `content` under `messageId` just before this instance's append. */
const another =
  (messageId: string, content: string): Step =>
  async (append) => {
    await store.appendAsAnother(streamNameOf(project), {
      id: randomUUID(),
      type: 'UserMessaged',
      data: { messageId, projectId: project, content, imageUrls: [], createdBy: null, createdAt: NOW },
      metadata: { correlationId: null, causationId: null, userId: null, schemaVersion: 1 },
    });
    return append();
  };

describe('a conflict with another instance', () => {
  it('is caught up and the command retried at the new revision', async () => {
    await processor.execute(post(project, randomUUID(), 'first'), context());
    const theirs = randomUUID();
    const ours = randomUUID();
    store.steps.push(another(theirs, 'theirs'));
    const outcome = await processor.execute(post(project, ours, 'ours'), context());
    expect(outcome).toMatchObject({ appended: true, revision: 2 });
    expect(outcome.messages[0]).toMatchObject({ id: ours, sequence: 2 });
    expect(store.appends.map((a) => a.expected)).toEqual(['no_stream', 0n, 1n]);
    expect((await messageIds()).slice(1)).toEqual([theirs, ours]);
  });

  it('is decided again on the caught-up state: the same id with other content is refused', async () => {
    const id = randomUUID();
    store.steps.push(another(id, 'theirs'));
    await expect(processor.execute(post(project, id, 'ours'), context())).rejects.toBeInstanceOf(
      MessageIdConflictError,
    );
    expect(await messageIds()).toEqual([id]);
    expect(store.appends).toHaveLength(1);
  });

  it('is decided again on the caught-up state: the same message already stored answers as a retry', async () => {
    const id = randomUUID();
    store.steps.push(another(id, 'same'));
    const outcome = await processor.execute(post(project, id, 'same'), context());
    expect(outcome).toMatchObject({ appended: false, revision: 0 });
    expect(await messageIds()).toEqual([id]);
  });
});

describe('commands queued for one conversation', () => {
  it('leave in one append while the previous one is under way, each with its own revision', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.steps.push(async (append) => {
      await gate;
      return append();
    });
    const first = processor.execute(post(project, randomUUID(), 'first'), context());
    const queued = ['a', 'b', 'c'].map((content) =>
      processor.execute(post(project, randomUUID(), content), context()),
    );
    release();
    expect(await first).toMatchObject({ appended: true, revision: 0 });
    const outcomes = await Promise.all(queued);
    expect(outcomes.map((o) => o.revision)).toEqual([1, 2, 3]);
    expect(store.appends.map((a) => a.events.length)).toEqual([1, 3]);
    expect(store.appends[1]?.expected).toBe(0n);
  });

  it('other conversations are not held up behind a busy one', async () => {
    store.steps.push(() => new Promise<never>(() => {}));
    void processor.execute(post(project, randomUUID(), 'stuck'), context());
    const elsewhere = `p-${randomUUID()}`;
    const outcome = await processor.execute(post(elsewhere, randomUUID(), 'free'), context());
    expect(outcome).toMatchObject({ appended: true, revision: 0 });
  });
});

describe('an append whose outcome is unknown', () => {
  it('is found in the stream: the command succeeded', async () => {
    const id = randomUUID();
    store.steps.push(async (append) => {
      await append();
      throw unknownOutcome();
    });
    const outcome = await processor.execute(post(project, id, 'landed'), context());
    expect(outcome).toMatchObject({ appended: true, revision: 0 });
    expect(await messageIds()).toEqual([id]);
  });

  it('is not found in the stream: nothing was appended, and the client is told so', async () => {
    store.steps.push(async () => {
      throw unknownOutcome();
    });
    const error = await processor.execute(post(project, randomUUID(), 'lost'), context()).catch((e) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect(error).toMatchObject({ operation: 'append', outcomeUnknown: false });
    expect(await stored()).toEqual([]);
  });

  it('stays unknown when the stream cannot be read either', async () => {
    await processor.execute(post(project, randomUUID(), 'first'), context());
    store.steps.push(async () => {
      store.failReads = true;
      throw unknownOutcome();
    });
    const error = await processor.execute(post(project, randomUUID(), 'lost'), context()).catch((e) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect(error).toMatchObject({ operation: 'append', outcomeUnknown: true });
  });
});
