import {
  ANY,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  type Filter,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  NotLeaderError,
  type Position,
  type ResolvedEvent,
  START,
  type StreamingRead,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  streamNameFilter,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  type AppendResult,
  type AppendsListener,
  type AppendWatch,
  type EraseResult,
  type EventMetadata,
  type EventStore,
  EventStoreUnavailableError,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  StreamErasedError,
  type WatchAppendsOptions,
  WrongExpectedVersionError,
} from '../event-store.port.js';
import { CONVERSATION_STREAM_PREFIX } from '../../conversation/conversation-stream.js';
import { Semaphore } from './semaphore.js';
import { assertValidExpectedRevision, checkExpectedRevision } from '../expected-revision.js';
import type { EventStoreConnectionOptions } from '../../config/config.js';
import { connectionOption, withConnectionOptions } from './connection-string.js';

export interface EventStoreDbEventStoreOptions {
  /** Appends in flight at once (each to its own stream, as the command processor sends them). */
  maxConcurrentAppends?: number;
  /**
   * Deadline of every call, enforced by the adapter: client 6.2 gives reads and subscriptions no
   * deadline at all (it passes `Infinity` to gRPC whatever it is asked), and an append first waits,
   * without one, for the server's feature list. So a store that accepts connections but never
   * answers would hang a reader or a writer for good. Defaults to the connection string's
   * `defaultDeadline`, else the client's 10 s.
   */
  deadlineMs?: number;
  /** Options that override the same ones in the connection string (`fromConnectionString`). */
  connection?: EventStoreConnectionOptions;
  /**
   * The global log (readAll, countAfter) holds the streams whose names start with this, selected
   * by the server. Unset: every stream but the server's own.
   */
  streamPrefix?: string;
}

const CLIENT_DEFAULT_DEADLINE_MS = 10_000;
/**
 * A page of the global log ends when the server says it has caught up; a server older than 23.10
 * never says so, and a page then ends once nothing has come for this long.
 */
const PAGE_IDLE_MS = 200;
/** The append watch's first pause before resubscribing; it doubles on each failure, up to the cap. */
const WATCH_RETRY_FIRST_MS = 250;
const WATCH_RETRY_MAX_MS = 5_000;

interface Watcher {
  onAppended: AppendsListener;
  options: WatchAppendsOptions;
}
const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * EventStoreDB / KurrentDB adapter, through `@eventstore/db-client`.
 *
 * - Expected revisions map one to one onto the client's (`any`, `no_stream`, `stream_exists`,
 *   an exact revision). A refusal becomes the port's WrongExpectedVersionError with the actual
 *   revision the server reported (-1n when the stream does not exist).
 * - Event ids are not a unique key of the log here: the server treats appending the same event
 *   ids again at the same expected revision as an idempotent success (its documented behaviour),
 *   and never answers DuplicateEventIdError.
 * - A missing stream reads as empty at revision -1. A deleted or tombstoned stream does too: an
 *   erased stream is a tombstoned one (eraseStream), and appending to it rejects with the port's
 *   StreamErasedError.
 * - Positions are the log's commit and prepare positions, unsigned 64-bit, carried as bigints
 *   and written into the port's opaque string as `<commit>/<prepare>`, so nothing is lost beyond
 *   2^53. `$all` is ordered by commit, so a reader resuming from a checkpoint never skips.
 * - The port's global log is the streams under `streamPrefix` (else all but the server's own `$`
 *   events), selected by the server: client 6.2 offers server-side filters only on subscriptions,
 *   so readAll reads each page through a short-lived filtered catch-up subscription.
 * - Connection settings (TLS, keepalive interval and timeout, default deadline, node preference,
 *   discovery over gossip seeds) come from the connection string, parsed by the client, with the
 *   options configured by variables of their own merged in over it.
 * - A call the store could not serve in time (unavailable, deadline exceeded, cancelled, a
 *   server-side timeout) becomes EventStoreUnavailableError. For an append it is `outcomeUnknown`
 *   unless the connection was never made (nothing was sent).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly appends: Semaphore;
  private readonly deadlineMs: number;
  private readonly streamPrefix: string | undefined;
  private closed = false;
  private readonly watchers = new Set<Watcher>();
  private subscription: AllStreamSubscription | undefined;
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private watchFailures = 0;
  private readonly appended = new Set<string>();
  /** Streams known to be tombstoned: a tombstone is for good, so they stay here. */
  private readonly erased = new Set<string>();

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbEventStoreOptions = {},
  ) {
    this.appends = new Semaphore(options.maxConcurrentAppends ?? 8);
    this.deadlineMs = options.deadlineMs ?? CLIENT_DEFAULT_DEADLINE_MS;
    this.streamPrefix = options.streamPrefix;
  }

  /** Connects lazily: nothing is dialled before the first call. */
  static fromConnectionString(
    connectionString: string,
    options: EventStoreDbEventStoreOptions = {},
  ): EventStoreDbEventStore {
    const merged = withConnectionOptions(connectionString, options.connection ?? {});
    const client = EventStoreDBClient.connectionString(merged);
    const deadline = connectionOption(merged, 'defaultDeadline');
    return new EventStoreDbEventStore(client, {
      ...options,
      deadlineMs: options.deadlineMs ?? (deadline === undefined ? undefined : parseInt(deadline, 10)),
    });
  }

  async append(
    streamName: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    assertValidExpectedRevision(expected);
    if (events.length === 0) return checkExpectedRevision(this, streamName, expected, formatPosition(ZERO));
    const proposed = events.map((event) =>
      jsonEvent({
        id: event.id,
        type: event.type,
        data: event.data as never,
        metadata: event.metadata as unknown as Record<string, unknown>,
      }),
    );
    return this.appends.run(async () => {
      try {
        const result = await this.inTime(
          this.client.appendToStream(streamName, proposed, {
            expectedRevision: toClientExpected(expected),
            deadline: this.deadlineMs,
          }),
        );
        return {
          nextExpectedRevision: result.nextExpectedRevision,
          position: result.position ? formatPosition(result.position) : formatPosition(ZERO),
        };
      } catch (error) {
        if (error instanceof ClientWrongExpectedVersionError) {
          const actual = error.actualVersion;
          throw new WrongExpectedVersionError(
            streamName,
            expected,
            typeof actual === 'bigint' ? actual : -1n,
          );
        }
        if (error instanceof StreamDeletedError) throw new StreamErasedError(streamName);
        throw asUnavailableWrite(error, 'an append');
      }
    });
  }

  /**
   * A hard delete: the server writes a tombstone, after which the stream reads as deleted (empty
   * here) and refuses appends for good. The tombstone expects the revision just read, so the count
   * is exact: an append landing in between makes the server refuse it, and it is tried again at
   * the new revision. The events leave `$all` only at the server's next scavenge: until then
   * readAll leaves them out itself.
   */
  async eraseStream(streamName: string): Promise<EraseResult> {
    for (;;) {
      const revision = await this.streamRevision(streamName);
      try {
        await this.inTime(
          this.client.tombstoneStream(streamName, {
            expectedRevision: revision < 0n ? NO_STREAM : revision,
            deadline: this.deadlineMs,
          }),
        );
      } catch (error) {
        if (error instanceof StreamDeletedError) return { eventsRemoved: 0 };
        if (error instanceof ClientWrongExpectedVersionError) continue;
        throw asUnavailableWrite(error, 'an erasure');
      }
      this.erased.add(streamName);
      return { eventsRemoved: Number(revision + 1n) };
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount === 0) return [];
    const backwards = options.direction === 'backwards';
    const resolved = await this.read(() =>
      this.client.readStream(streamName, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision ?? (backwards ? END : START),
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
        deadline: this.deadlineMs,
      }),
    );
    return resolved.flatMap((event) => {
      const recorded = toRecordedEvent(event);
      return recorded ? [recorded] : [];
    });
  }

  async streamRevision(streamName: string): Promise<bigint> {
    const [last] = await this.readStream(streamName, { direction: 'backwards', maxCount: 1 });
    return last?.revision ?? -1n;
  }

  /**
   * A page of the global log, read through a catch-up subscription to `$all` that the server
   * filters (client 6.2's `readAll` takes no filter): the events of other streams are never sent.
   * The checkpoint moves past them all the same, on the server's checkpoints, so that a reader
   * resuming from it does not look at them again. Tombstoned streams' events are left out.
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const maxCount = options.maxCount ?? 1000;
    const events: RecordedEvent[] = [];
    let checkpoint = options.after;
    while (events.length < maxCount) {
      const page = await this.readPage(checkpoint, maxCount - events.length);
      events.push(...(await this.withoutErased(page.events)));
      checkpoint = page.checkpoint;
      if (page.end) break;
    }
    return { events, checkpoint };
  }

  async countAfter(position: string | undefined, cap: number): Promise<number> {
    if (cap <= 0) return 0;
    return (await this.readAll({ after: position, maxCount: cap })).events.length;
  }

  /**
   * One subscription to `$all` for all of this store's watchers, from the end, filtered by the
   * server to conversation streams; the events of one tick are reported together. The client does
   * not resubscribe by itself: on an error or an end, it waits (doubling, capped, jittered),
   * subscribes again from the end and reports `'*'` once confirmed, for what the gap hid.
   */
  watchAppends(onAppended: AppendsListener, options: WatchAppendsOptions = {}): AppendWatch {
    const watcher: Watcher = { onAppended, options };
    this.watchers.add(watcher);
    if (!this.subscription && !this.resubscribeTimer) this.subscribe(false);
    return {
      close: () => {
        if (!this.watchers.delete(watcher) || this.watchers.size > 0) return;
        this.unsubscribe();
      },
    };
  }

  async ping(): Promise<void> {
    await this.read(() =>
      this.client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: 1,
        deadline: this.deadlineMs,
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.unsubscribe();
    await this.appends.drain();
    await this.client.dispose();
  }

  /**
   * The call's outcome, or NoAnswerInTime once the deadline has passed (after `onLate`, which
   * cancels what can be cancelled). What the call settles to after that is of no use to anyone.
   */
  private async inTime<T>(call: Promise<T>, onLate?: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onLate?.();
        reject(new NoAnswerInTime(this.deadlineMs));
      }, this.deadlineMs);
    });
    call.catch(() => undefined);
    try {
      return await Promise.race([call, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Subscribes from `after` (exclusive), collects up to `limit` events and unsubscribes, at that
   * count or once caught up (`end`). The checkpoint is the last event's position, or the server's
   * last checkpoint when it lies beyond: some server versions have sent one at the end of the log,
   * where the next event will be written, so one that does not is never taken.
   *
   * The client hands over events through a stream buffer but reports checkpoints and `caughtUp`
   * as they arrive, possibly while events before them still wait in that buffer: each such mark
   * applies once the events before it (those handed over plus those buffered) have been taken.
   */
  private subscriptionPage(after: string | undefined, limit: number): Promise<SubscriptionPage> {
    let cursor = after === undefined ? undefined : parsePosition(after);
    const events: RecordedEvent[] = [];
    const marks: { after: number; checkpoint?: Position }[] = [];
    let taken = 0;
    // Called only once the subscription exists (the client reports nothing synchronously).
    const mark = (checkpoint?: Position) => {
      marks.push({ after: taken + opened.readableLength, checkpoint });
    };
    const opened = this.client.subscribeToAll({
      fromPosition: cursor ?? START,
      filter: this.logFilter((_, position) => mark(position)),
    });
    const page = new Promise<SubscriptionPage>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (end: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(idle);
        opened.removeAllListeners('data');
        void opened.unsubscribe().catch(() => undefined);
        resolve({ events, checkpoint: cursor ? formatPosition(cursor) : after, end });
      };
      const settle = () => {
        if (done) return;
        while (marks[0] && marks[0].after <= taken) {
          const { checkpoint } = marks.shift()!;
          if (!checkpoint) return finish(true);
          if (!cursor || isAfter(checkpoint, cursor)) cursor = checkpoint;
        }
        clearTimeout(idle);
        idle = setTimeout(() => finish(true), PAGE_IDLE_MS);
      };
      opened.on('confirmation', settle);
      opened.on('caughtUp', () => {
        mark();
        settle();
      });
      opened.on('data', (resolved: AllStreamResolvedEvent) => {
        taken++;
        const position = resolved.event?.position;
        if (position && (!cursor || isAfter(position, cursor))) {
          cursor = position;
          if (resolved.event?.type === '$streamDeleted') this.erased.add(resolved.event.streamId);
          const recorded = isSystem(resolved) ? undefined : toRecordedEvent(resolved);
          if (recorded) events.push(recorded);
          if (events.length === limit) return finish(false);
        }
        settle();
      });
      opened.on('error', reject);
      opened.on('end', () => finish(true));
    });
    return this.inTime(page, () => void opened.unsubscribe().catch(() => undefined));
  }

  /** A page, tried once more when the client reconnects for it, as other reads. */
  private async readPage(after: string | undefined, limit: number): Promise<SubscriptionPage> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.subscriptionPage(after, limit);
      } catch (error) {
        if (attempt === 1 && reconnects(error)) continue;
        if (!isUnavailable(error)) throw error;
        throw new EventStoreUnavailableError('event store unreachable', { cause: error, operation: 'read' });
      }
    }
  }

  /** The server-side filter of the global log: the stream prefix, else no server events. */
  private logFilter(checkpointReached: NonNullable<Filter['checkpointReached']>): Filter {
    return this.streamPrefix === undefined
      ? excludeSystemEvents({ checkpointReached })
      : streamNameFilter({ prefixes: [this.streamPrefix], checkpointReached });
  }

  private subscribe(recovering: boolean): void {
    if (this.closed || this.watchers.size === 0) return;
    const subscription = this.client.subscribeToAll({
      fromPosition: END,
      filter: streamNameFilter({ prefixes: [CONVERSATION_STREAM_PREFIX] }),
    });
    this.subscription = subscription;
    // A server that accepts the call but never confirms it would leave the watch silent for good.
    const unconfirmed = setTimeout(
      () => failed(new NoAnswerInTime(this.deadlineMs, 'the subscription was not confirmed')),
      this.deadlineMs,
    );
    unconfirmed.unref();
    const failed = (error: unknown) => {
      clearTimeout(unconfirmed);
      if (this.subscription !== subscription) return;
      this.subscription = undefined;
      void subscription.unsubscribe().catch(() => undefined);
      this.watchFailed(error);
    };
    subscription.on('confirmation', () => {
      clearTimeout(unconfirmed);
      if (this.subscription !== subscription) return;
      this.watchFailures = 0;
      if (!recovering) return;
      recovering = false;
      for (const watcher of [...this.watchers]) {
        watcher.onAppended('*');
        watcher.options.onRecovered?.();
      }
    });
    subscription.on('data', (resolved: AllStreamResolvedEvent) => {
      const streamName = resolved.event?.streamId;
      if (this.subscription !== subscription || streamName === undefined) return;
      if (this.appended.size === 0) setImmediate(() => this.reportAppended());
      this.appended.add(streamName);
    });
    subscription.on('error', failed);
    subscription.on('end', () => failed(new Error('the server ended the subscription')));
    subscription.on('close', () => failed(new Error('the subscription closed')));
  }

  private reportAppended(): void {
    const names = [...this.appended];
    this.appended.clear();
    if (names.length === 0) return;
    for (const watcher of [...this.watchers]) watcher.onAppended(names);
  }

  private watchFailed(error: unknown): void {
    if (this.closed || this.watchers.size === 0) return;
    this.watchFailures++;
    const cap = Math.min(
      WATCH_RETRY_MAX_MS,
      WATCH_RETRY_FIRST_MS * 2 ** Math.min(this.watchFailures - 1, 10),
    );
    const pause = Math.round(cap * (0.5 + Math.random() * 0.5));
    for (const watcher of [...this.watchers]) watcher.options.onError?.(error, pause);
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      this.subscribe(true);
    }, pause);
    this.resubscribeTimer.unref();
  }

  private unsubscribe(): void {
    clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    this.appended.clear();
    if (subscription) void subscription.unsubscribe().catch(() => undefined);
  }

  /** Collects a read; a missing or deleted stream is empty. */
  private async read<E extends ResolvedEvent>(open: () => StreamingRead<E>): Promise<E[]> {
    try {
      return await this.readOrThrow(open);
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return [];
      throw error;
    }
  }

  /**
   * Collects a read. A read the store cannot serve is tried once more when the client says it
   * reconnects for it (unavailable, not the leader), then becomes the port's "unavailable".
   */
  private async readOrThrow<E extends ResolvedEvent>(open: () => StreamingRead<E>): Promise<E[]> {
    for (let attempt = 1; ; attempt++) {
      const stream = open();
      try {
        return await this.inTime(collect(stream), () => {
          void stream.cancel().catch(() => undefined);
          stream.destroy();
        });
      } catch (error) {
        if (attempt === 1 && reconnects(error)) continue;
        if (!isUnavailable(error)) throw error;
        throw new EventStoreUnavailableError('event store unreachable', { cause: error, operation: 'read' });
      }
    }
  }

  /**
   * The events of streams that are not tombstoned. `$all` still holds a tombstoned stream's
   * events until the server's next scavenge; asking each stream of the page once (a tombstone is
   * for good, so a yes is kept) keeps them out of every reader, rebuilds included.
   */
  private async withoutErased(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const names = [...new Set(events.map((event) => event.streamName))];
    const erased = await Promise.all(names.map((name) => this.isErased(name)));
    const gone = new Set(names.filter((_, i) => erased[i]));
    return gone.size === 0 ? events : events.filter((event) => !gone.has(event.streamName));
  }

  private async isErased(streamName: string): Promise<boolean> {
    if (this.erased.has(streamName)) return true;
    try {
      await this.readOrThrow(() =>
        this.client.readStream(streamName, {
          direction: BACKWARDS,
          fromRevision: END,
          maxCount: 1,
          deadline: this.deadlineMs,
        }),
      );
      return false;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return false;
      if (!(error instanceof StreamDeletedError)) throw error;
      this.erased.add(streamName);
      return true;
    }
  }
}

const ZERO: Position = { commit: 0n, prepare: 0n };

interface SubscriptionPage {
  events: RecordedEvent[];
  /** Where to resume: the page's last event, or further on a server checkpoint. */
  checkpoint: string | undefined;
  /** The subscription caught up (or went quiet): there is nothing more for now. */
  end: boolean;
}

/** The store took the call but did not answer it within the deadline. */
class NoAnswerInTime extends Error {
  constructor(deadlineMs: number, what = 'no answer') {
    super(`${what} within the ${deadlineMs} ms deadline`);
  }
}

async function collect<E>(stream: AsyncIterable<E>): Promise<E[]> {
  const events: E[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

function toClientExpected(
  expected: ExpectedRevision,
): typeof ANY | typeof NO_STREAM | typeof STREAM_EXISTS | bigint {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

function isSystem(resolved: AllStreamResolvedEvent): boolean {
  const event = resolved.event;
  return !event || event.streamId.startsWith('$') || event.type.startsWith('$');
}

function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event) return undefined;
  return {
    id: event.id,
    streamName: event.streamId,
    revision: event.revision,
    type: event.type,
    data: event.data,
    metadata: (event.metadata ?? {}) as unknown as EventMetadata,
    createdAt: event.created instanceof Date ? event.created : new Date(event.created),
    position: event.position ? formatPosition(event.position) : formatPosition(ZERO),
  };
}

/** `<commit>/<prepare>`, both unsigned 64-bit decimals. */
export function formatPosition(position: Position): string {
  return `${position.commit}/${position.prepare}`;
}

export function parsePosition(position: string): Position {
  const match = /^(\d{1,20})\/(\d{1,20})$/.exec(position);
  const commit = match?.[1] === undefined ? undefined : BigInt(match[1]);
  const prepare = match?.[2] === undefined ? undefined : BigInt(match[2]);
  if (commit === undefined || prepare === undefined || commit > MAX_UINT64 || prepare > MAX_UINT64) {
    throw new RangeError(`Not a position of this event store: ${position}`);
  }
  return { commit, prepare };
}

/** `$all` is ordered by commit position, then prepare position. */
function isAfter(a: Position, b: Position): boolean {
  return a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);
}

/** A write the store could not serve: nothing was sent, or (once sent) the outcome is unknown. */
function asUnavailableWrite(error: unknown, what: string): unknown {
  if (!isUnavailable(error)) return error;
  const unsent = neverConnected(error);
  return new EventStoreUnavailableError(
    unsent
      ? 'event store unreachable; nothing was written'
      : `the event store connection failed during ${what}`,
    { cause: error, operation: 'append', outcomeUnknown: !unsent },
  );
}

/** Errors the client documents for a call the store could not serve (or serve in time). */
function isUnavailable(error: unknown): boolean {
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof CancelledError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError ||
    error instanceof NoAnswerInTime
  ) {
    return true;
  }
  // A gRPC status the client passed on unconverted (while discovering or fetching features).
  const code = (error as { code?: unknown } | null)?.code;
  return code === 1 || code === 4 || code === 14;
}

/** The client reconnects for this error (unavailable, not the leader): worth one more try. */
function reconnects(error: unknown): boolean {
  return (error instanceof NotLeaderError || error instanceof UnavailableError) && !neverConnected(error);
}

/** The channel never connected: no request can have reached the server. */
function neverConnected(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return (
    (error instanceof UnavailableError || (error as { code?: unknown } | null)?.code === 14) &&
    /No connection established|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(message)
  );
}
