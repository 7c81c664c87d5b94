/**
 * Measures what the command path's state cache holds per project, in a process of its own
 * (started with --expose-gc): the real command handler and processor decide and fold N projects'
 * messages, into a store that keeps nothing, so that the heap growth is the cached state alone.
 * Receives one StateCacheJob over IPC, answers one StateCacheReport, exits.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/config.js';
import { ConversationCommandProcessor } from '../../src/conversation/conversation.processor.js';
import { uuidv7 } from '../../src/conversation/ids.js';
import { PostUserMessage } from '../../src/conversation/post-user-message/post-user-message.command.js';
import type { PostUserMessageBody } from '../../src/conversation/post-user-message/post-user-message.dto.js';
import { PostUserMessageHandler } from '../../src/conversation/post-user-message/post-user-message.handler.js';
import type {
  AppendResult,
  ExpectedRevision,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
} from '../../src/event-store/event-store.port.js';
import { InMemoryEventStore } from '../../src/event-store/in-memory/in-memory-event-store.js';
import { answerOneJob } from '../support/processes.js';

export interface StateCacheJob {
  projects: number;
  messagesPerProject: number;
}

export interface StateCacheReport {
  heapBeforeBytes: number;
  heapAfterBytes: number;
  /** Stream reads while building: one per project when none was ever dropped from the cache. */
  reads: number;
  /** Stream reads after one more message to every project: unchanged when all stayed cached. */
  readsAfterTouch: number;
  buildMs: number;
}

/** The same body the HTTP load posts, parsed afresh for each request as the service does. */
const BODY = JSON.stringify({ content: 'bench message' });
/** Commands in flight at once, each on its own project. */
const CONCURRENCY = 1_000;
const WARMUP_PROJECTS = 2_000;

/** Acknowledges every append and keeps nothing; counts the reads (cache misses). */
class DiscardingEventStore extends InMemoryEventStore {
  reads = 0;

  override append(
    _stream: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const last = typeof expected === 'bigint' ? expected : -1n;
    return Promise.resolve({ nextExpectedRevision: last + BigInt(events.length), position: '0' });
  }

  override readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.reads++;
    return super.readStream(streamName, options);
  }
}

function newHandler(store: DiscardingEventStore): PostUserMessageHandler {
  // A budget the projects cannot reach: the figure is what each costs, not what the default keeps.
  const config = loadConfig({ STATE_CACHE_MB: '65536' });
  return new PostUserMessageHandler(new ConversationCommandProcessor(store, config));
}

/** One message to each of `projects` projects (named `<prefix>-<n>`), CONCURRENCY at a time. */
async function messageEach(handler: PostUserMessageHandler, prefix: string, projects: number): Promise<void> {
  for (let first = 0; first < projects; first += CONCURRENCY) {
    const count = Math.min(CONCURRENCY, projects - first);
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        handler.execute(
          new PostUserMessage(`${prefix}-${first + index}`, JSON.parse(BODY) as PostUserMessageBody, {
            correlationId: randomUUID(),
            causationId: uuidv7(),
            userId: null,
          }),
        ),
      ),
    );
  }
}

function settledHeap(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with --expose-gc');
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

async function run(job: StateCacheJob): Promise<StateCacheReport> {
  // The code paths compiled and their one-off allocations made before the baseline is read.
  await messageEach(newHandler(new DiscardingEventStore()), 'warmup', WARMUP_PROJECTS);
  const store = new DiscardingEventStore();
  const handler = newHandler(store);
  const heapBeforeBytes = settledHeap();
  const started = performance.now();
  for (let round = 0; round < job.messagesPerProject; round++)
    await messageEach(handler, 'project', job.projects);
  const buildMs = performance.now() - started;
  const heapAfterBytes = settledHeap();
  const reads = store.reads;
  await messageEach(handler, 'project', job.projects);
  return { heapBeforeBytes, heapAfterBytes, reads, readsAfterTouch: store.reads, buildMs };
}

answerOneJob('state cache probe', run);
