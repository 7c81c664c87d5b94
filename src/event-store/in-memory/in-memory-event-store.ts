import {
  type AppendResult,
  type AppendsListener,
  type AppendWatch,
  DuplicateEventIdError,
  type EraseResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  StreamErasedError,
  WrongExpectedVersionError,
} from '../event-store.port.js';
import { assertValidExpectedRevision, meetsExpectedRevision } from '../expected-revision.js';
import { CONVERSATION_STREAM_PREFIX } from '../../conversation/conversation-stream.js';

/**
 * The event store in one process's memory, with the PostgreSQL adapter's semantics (the same
 * contract suite): expected revisions, atomic appends, duplicate event ids refused, one global
 * log. An append is checked and written without yielding, so appends are serialized as a
 * database's would be. Positions are the decimal index in the global log, from 1; an erased
 * event leaves its place empty, so that positions keep their meaning.
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: (RecordedEvent | undefined)[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly erased = new Set<string>();
  private readonly ids = new Set<string>();
  private readonly watchers = new Set<AppendsListener>();

  async append(
    streamName: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    assertValidExpectedRevision(expected);
    if (this.erased.has(streamName)) throw new StreamErasedError(streamName);
    const stream = this.streams.get(streamName) ?? [];
    const actual = BigInt(stream.length - 1);
    if (!meetsExpectedRevision(expected, actual))
      throw new WrongExpectedVersionError(streamName, expected, actual);
    const ids = events.map((event) => event.id);
    const duplicates = ids.filter((id, i) => this.ids.has(id) || ids.indexOf(id) !== i);
    if (duplicates.length > 0) throw new DuplicateEventIdError(duplicates);
    if (events.length === 0) return { nextExpectedRevision: actual, position: '0' };

    const createdAt = new Date();
    for (const event of events) {
      const recorded: RecordedEvent = {
        id: event.id,
        streamName,
        revision: BigInt(stream.length),
        type: event.type,
        // Stored as JSON, as a database would: later changes to the caller's objects do not leak in.
        data: jsonCopy(event.data),
        metadata: jsonCopy(event.metadata),
        createdAt,
        position: String(this.log.length + 1),
      };
      stream.push(recorded);
      this.log.push(recorded);
      this.ids.add(event.id);
    }
    this.streams.set(streamName, stream);
    if (streamName.startsWith(CONVERSATION_STREAM_PREFIX)) {
      for (const watcher of [...this.watchers]) watcher([streamName]);
    }
    const last = stream.at(-1)!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const stream = this.streams.get(streamName) ?? [];
    const maxCount = options.maxCount ?? stream.length;
    if (options.direction === 'backwards') {
      const from = Math.min(Number(options.fromRevision ?? BigInt(stream.length - 1)), stream.length - 1);
      return stream
        .slice(Math.max(0, from - maxCount + 1), from + 1)
        .reverse()
        .map(copy);
    }
    const from = Number(options.fromRevision ?? 0n);
    return stream.slice(from, from + maxCount).map(copy);
  }

  async streamRevision(streamName: string): Promise<bigint> {
    return BigInt((this.streams.get(streamName)?.length ?? 0) - 1);
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const maxCount = options.maxCount ?? 1000;
    const events: RecordedEvent[] = [];
    for (
      let index = indexAfter(options.after);
      index < this.log.length && events.length < maxCount;
      index++
    ) {
      const recorded = this.log[index];
      if (recorded) events.push(copy(recorded));
    }
    return { events, checkpoint: events.at(-1)?.position ?? options.after };
  }

  async countAfter(position: string | undefined, cap: number): Promise<number> {
    const after = this.log.slice(indexAfter(position)).filter((recorded) => recorded !== undefined);
    return Math.min(cap, after.length);
  }

  async eraseStream(streamName: string): Promise<EraseResult> {
    this.erased.add(streamName);
    const stream = this.streams.get(streamName) ?? [];
    this.streams.delete(streamName);
    for (const recorded of stream) {
      this.log[Number(recorded.position) - 1] = undefined;
      this.ids.delete(recorded.id);
    }
    return { eventsRemoved: stream.length };
  }

  /** Called synchronously after each append to a conversation stream. */
  watchAppends(onAppended: AppendsListener): AppendWatch {
    const watcher: AppendsListener = (names) => onAppended(names);
    this.watchers.add(watcher);
    return { close: () => this.watchers.delete(watcher) };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}

/** The index in the log of the first event after a position. */
function indexAfter(position: string | undefined): number {
  if (position === undefined) return 0;
  if (!/^\d{1,15}$/.test(position)) throw new RangeError(`Not a position of this event store: ${position}`);
  return Number(position);
}

function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Readers get their own objects, as rows read from a database would be. */
function copy(event: RecordedEvent): RecordedEvent {
  return { ...event, data: jsonCopy(event.data), metadata: jsonCopy(event.metadata) };
}
