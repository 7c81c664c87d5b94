/**
 * The event log behind one small interface. Every adapter (PostgreSQL, EventStoreDB, in memory) passes
 * the same contract suite in test/event-store.contract.ts.
 */

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface EventMetadata {
  correlationId: string | null;
  causationId: string | null;
  userId: string | null;
  schemaVersion: number;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamName: string;
  revision: bigint;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  createdAt: Date;
  /** Opaque global position: compare only through the store, resume from it with readAll. */
  position: string;
}

export interface AppendResult {
  /** Revision of the last event written: the stream's new revision. */
  nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  position: string;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards defaults to 0, backwards to the end of the stream. */
  fromRevision?: bigint;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events after this position. Omit to start at the beginning of the log. */
  after?: string;
  maxCount?: number;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /** Where to resume; equals `after` when nothing new was safe to read. */
  checkpoint: string | undefined;
}

/** What erasing a stream removed. */
export interface EraseResult {
  eventsRemoved: number;
}

export interface EventStore {
  append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Current revision of a stream, -1n when it has no events. */
  streamRevision(streamName: string): Promise<bigint>;
  /**
   * The global log in commit-safe order: an event is never returned after a later one whose
   * transaction committed first, so a reader that resumes from its checkpoint skips nothing.
   */
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;
  /** How many events of the global log lie after a position (all when omitted), counting up to `cap`. */
  countAfter(position: string | undefined, cap: number): Promise<number>;
  /**
   * Calls `onAppended` after appends to conversation streams, by anyone writing to this store
   * (any instance): the stream names, or `'*'` when they are not known (after the watch was
   * interrupted, so that the caller catches up on everything). It is a wake-up, not a feed: the
   * caller reads what changed. A watch that fails keeps retrying by itself and says so through
   * `onError`, then `onRecovered`.
   */
  watchAppends(onAppended: AppendsListener, options?: WatchAppendsOptions): AppendWatch;
  /**
   * Removes the stream's events for good and refuses every later append to it (the port's
   * StreamErasedError); reading it answers as for a stream that never existed (empty, revision -1).
   * Idempotent: erasing an erased or never-written stream removes nothing.
   */
  eraseStream(streamName: string): Promise<EraseResult>;
  /** Resolves once the store has answered a trivial read; rejects when it cannot (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type AppendsListener = (streamNames: readonly string[] | '*') => void;

export interface WatchAppendsOptions {
  /** The watch failed and is retried after `retryInMs` (backing off); appends are not reported meanwhile. */
  onError?(error: unknown, retryInMs: number): void;
  /** The watch works again after an error (it has just reported `'*'`). */
  onRecovered?(): void;
}

export interface AppendWatch {
  /** Nothing is reported after this. */
  close(): void;
}

export const EVENT_STORE = Symbol('EVENT_STORE');

export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** -1n when the stream does not exist. */
    readonly actual: bigint,
  ) {
    super(`Stream ${streamName}: expected revision ${String(expected)}, actual ${actual}`);
  }
}

export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(readonly eventIds: readonly string[]) {
    super(`Event id already stored: ${eventIds.join(', ')}`);
  }
}

/** The stream was erased: nothing is ever appended to it again. */
export class StreamErasedError extends Error {
  override readonly name = 'StreamErasedError';
  constructor(readonly streamName: string) {
    super(`Stream ${streamName} was erased; nothing can be appended to it`);
  }
}

/**
 * The store could not be reached (or the connection dropped). `operation` says what was being
 * done. A read wrote nothing. An append wrote nothing unless `outcomeUnknown`: the connection
 * dropped while the append was under way, so it may or may not have committed.
 */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  readonly operation: 'append' | 'read';
  /** Only ever true for an append. */
  readonly outcomeUnknown: boolean;
  constructor(
    message: string,
    options: { cause?: unknown; operation?: 'append' | 'read'; outcomeUnknown?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.operation = options.operation ?? 'read';
    this.outcomeUnknown = this.operation === 'append' && (options.outcomeUnknown ?? false);
  }
}
