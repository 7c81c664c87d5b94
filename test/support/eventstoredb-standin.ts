/**
 * A wire-level stand-in for an EventStoreDB / KurrentDB node, for tests only: an in-process gRPC
 * server built from the service definitions that `@eventstore/db-client` ships, so the real
 * client talks to it as to a single insecure node (`esdb://127.0.0.1:<port>?tls=false`).
 *
 * It implements the subset the adapter uses, with the server's documented semantics:
 * - ServerFeatures.GetSupportedMethods (Read, Append, Tombstone; no BatchAppend, so the client
 *   appends through the client-streaming Append call: an options message, then the events);
 * - Streams.Append with an expected revision (any, no_stream, stream_exists, exact). Revisions
 *   count from 0. A refusal is answered in the response as WrongExpectedVersion with the current
 *   revision or "no stream". Re-appending the same event ids at the same place is idempotent;
 * - Streams.Read of a stream, forwards or backwards, from the start, the end or a revision;
 *   a missing stream answers StreamNotFound, a tombstoned one the `stream-deleted` error;
 * - Streams.Read of `$all`, forwards or backwards, from the start, the end or an (inclusive)
 *   position, with a stream-name or event-type filter (prefixes or regex); positions increase;
 * - Streams.Read of `$all` in subscription mode (catch-up then live), from the start, the end or
 *   an (exclusive) position, with the same filters: a `confirmation` first, then the stored events
 *   after the start, `caughtUp`, then each event as it is appended. A filtered subscription also
 *   gets a `checkpoint` every `checkpointInterval` × search window (32 by default) events it
 *   looked at, and one at the last event of the log when it has caught up;
 * - Streams.Tombstone (a hard delete), with any expected revision: it writes the tombstone, an
 *   event of type `$streamDeleted` at revision 2^63 - 1, into the stream and so into `$all`. From
 *   then on the stream reads as `stream-deleted`, appends to it are refused the same way, and
 *   tombstoning it again too. As on the server, `$all` reads and subscriptions still return the
 *   stream's events (`$all` bypasses the index) until a scavenge removes them: `scavenge()` does
 *   what the server's does for tombstoned streams, at once (the tombstone itself stays).
 * Stream subscriptions and persistent subscriptions are not implemented. Tests can end or fail
 * the live subscriptions (endSubscriptions) to see a client resubscribe, and make the server hang
 * (hang / answerAgain): connections are accepted, calls are taken and held unanswered; once it
 * answers again, the held calls their clients have not given up on are served.
 */
import * as grpc from '@grpc/grpc-js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import serverFeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';

const { ReadResp, AppendResp, TombstoneResp } = streamsPb;
type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type TombstoneReq = InstanceType<typeof streamsPb.TombstoneReq>;
type Expected = 'any' | 'no_stream' | 'stream_exists' | bigint;

interface StoredEvent {
  streamName: string;
  revision: bigint;
  id: string;
  metadata: Map<string, string>;
  data: Uint8Array;
  customMetadata: Uint8Array;
  commit: bigint;
  prepare: bigint;
}

interface Subscriber {
  call: grpc.ServerWritableStream<ReadReq, unknown>;
  matches(event: StoredEvent): boolean;
  /** Events looked at since the last checkpoint, and how many make one (0: not filtered). */
  scanned: number;
  checkpointEvery: number;
}

interface Stream {
  events: StoredEvent[];
  tombstoned: boolean;
}

export interface StandInOptions {
  /** Where the log's positions start (a real log's are byte offsets; start high to test > 2^53). */
  firstPosition?: bigint;
}

export class EventStoreDbStandIn {
  private readonly server = new grpc.Server();
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, Stream>();
  private nextPosition: bigint;
  private port = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly subscribers = new Set<Subscriber>();
  /** Appends the stand-in answered (tests of concurrency look at the most in flight). */
  appendsInFlight = 0;
  maxAppendsInFlight = 0;
  /** Events of `$all` sent to clients, by reads and subscriptions (tests of server-side filtering). */
  allEventsSent = 0;
  /** Delays each append's answer, to let appends overlap. */
  appendDelayMs = 0;
  private hung = false;
  private readonly held: (() => void)[] = [];

  private constructor(options: StandInOptions) {
    this.nextPosition = options.firstPosition ?? 0n;
  }

  static async start(options: StandInOptions = {}): Promise<EventStoreDbStandIn> {
    const standIn = new EventStoreDbStandIn(options);
    await standIn.listen();
    return standIn;
  }

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  /** Writes an event of the server's own (a `$`-prefixed stream and type), as a real node does. */
  writeSystemEvent(): void {
    const streamName = '$stats-127.0.0.1:2113';
    const stream = this.stream(streamName);
    const metadata = new Map([
      ['type', '$statsCollected'],
      ['content-type', 'application/json'],
    ]);
    this.write(stream, streamName, [
      { id: crypto.randomUUID(), metadata, data: Buffer.from('{}'), customMetadata: new Uint8Array() },
    ]);
  }

  /**
   * Removes the events of tombstoned streams from the log, as the server's scavenge does
   * (`POST /admin/scavenge`); the tombstones stay. Returns how many events it removed.
   */
  scavenge(): number {
    const kept = this.log.filter(
      (event) => !this.streams.get(event.streamName)?.tombstoned || event.revision === TOMBSTONE_REVISION,
    );
    const removed = this.log.length - kept.length;
    this.log.splice(0, this.log.length, ...kept);
    for (const stream of this.streams.values()) if (stream.tombstoned) stream.events = [];
    return removed;
  }

  /** Events `$all` holds now, the server's own and tombstones included. */
  get logLength(): number {
    return this.log.length;
  }

  /** Subscriptions open now. */
  get subscriptions(): number {
    return this.subscribers.size;
  }

  /**
   * Ends every live subscription, as a server does when it drops a slow subscriber or leaves the
   * cluster: cleanly (`end`) or with an error status (`unavailable`).
   */
  endSubscriptions(how: 'end' | 'unavailable' = 'end'): void {
    for (const subscriber of [...this.subscribers]) {
      this.subscribers.delete(subscriber);
      if (how === 'end') subscriber.call.end();
      else subscriber.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'subscription dropped' });
    }
  }

  /** From now on, takes every call (server features included) and answers none. */
  hang(): void {
    this.hung = true;
  }

  /** Answers calls again, serving the held ones still waiting. */
  answerAgain(): void {
    this.hung = false;
    for (const serve of this.held.splice(0)) serve();
  }

  async stop(): Promise<void> {
    this.hung = false;
    // Held calls would never finish: a graceful shutdown would wait for them for good.
    if (this.held.splice(0).length > 0) this.server.forceShutdown();
    this.endSubscriptions();
    for (const timer of this.timers) clearTimeout(timer);
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }

  private async listen(): Promise<void> {
    this.server.addService(serverFeaturesGrpc.ServerFeaturesService, {
      getSupportedMethods: this.answering(
        (
          _call: unknown,
          callback: grpc.sendUnaryData<InstanceType<typeof serverFeaturesPb.SupportedMethods>>,
        ) => {
          const methods = ['read', 'append', 'tombstone'].map((name) =>
            new serverFeaturesPb.SupportedMethod()
              .setServiceName('event_store.client.streams.streams')
              .setMethodName(name),
          );
          callback(
            null,
            new serverFeaturesPb.SupportedMethods()
              .setEventStoreServerVersion('23.10.0')
              .setMethodsList(methods),
          );
        },
      ),
    });
    this.server.addService(streamsGrpc.StreamsService, {
      read: this.answering((call: grpc.ServerWritableStream<ReadReq, unknown>) => this.read(call)),
      append: this.answering(
        (call: grpc.ServerReadableStream<AppendReq, unknown>, callback: grpc.sendUnaryData<unknown>) =>
          this.append(call, callback),
      ),
      tombstone: this.answering(
        (call: grpc.ServerUnaryCall<TombstoneReq, unknown>, callback: grpc.sendUnaryData<unknown>) =>
          this.tombstone(call, callback),
      ),
      delete: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => unimplemented(callback),
      batchAppend: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not implemented by the stand-in' }),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
  }

  /** A handler that, while the server hangs, holds the call until it answers again. */
  private answering<C extends { cancelled?: boolean }, R extends unknown[]>(
    handler: (call: C, ...rest: R) => void,
  ): (call: C, ...rest: R) => void {
    return (call, ...rest) => {
      if (!this.hung) return handler(call, ...rest);
      this.held.push(() => {
        if (!call.cancelled) handler(call, ...rest);
      });
    };
  }

  private stream(name: string): Stream {
    let stream = this.streams.get(name);
    if (!stream) {
      stream = { events: [], tombstoned: false };
      this.streams.set(name, stream);
    }
    return stream;
  }

  private write(
    stream: Stream,
    streamName: string,
    proposed: Pick<StoredEvent, 'id' | 'metadata' | 'data' | 'customMetadata'>[],
  ): StoredEvent | undefined {
    for (const event of proposed) {
      stream.events.push(this.record(streamName, BigInt(stream.events.length), event));
    }
    return stream.events.at(-1);
  }

  /** Gives an event the next position and adds it to `$all`, delivering it to subscribers. */
  private record(
    streamName: string,
    revision: bigint,
    event: Pick<StoredEvent, 'id' | 'metadata' | 'data' | 'customMetadata'>,
  ): StoredEvent {
    const created = (BigInt(Date.now()) * 10_000n).toString();
    const position = this.nextPosition;
    this.nextPosition += 64n + BigInt(event.data.length + event.customMetadata.length);
    const stored: StoredEvent = {
      ...event,
      metadata: new Map([...event.metadata, ['created', created]]),
      streamName,
      revision,
      commit: position,
      prepare: position,
    };
    this.log.push(stored);
    for (const subscriber of this.subscribers) this.deliver(subscriber, stored);
    return stored;
  }

  private append(
    call: grpc.ServerReadableStream<AppendReq, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void {
    let options: InstanceType<typeof streamsPb.AppendReq.Options> | undefined;
    const proposed: Pick<StoredEvent, 'id' | 'metadata' | 'data' | 'customMetadata'>[] = [];
    call.on('data', (request: AppendReq) => {
      if (request.hasOptions()) options = request.getOptions();
      const message = request.getProposedMessage();
      if (message) {
        proposed.push({
          id: uuidOf(message.getId()),
          metadata: new Map(message.getMetadataMap().getEntryList() as [string, string][]),
          data: message.getData_asU8(),
          customMetadata: message.getCustomMetadata_asU8(),
        });
      }
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      this.appendsInFlight++;
      this.maxAppendsInFlight = Math.max(this.maxAppendsInFlight, this.appendsInFlight);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.appendsInFlight--;
        if (!options) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'no options' });
        const streamName = nameOf(options.getStreamIdentifier());
        const expected: Expected = options.hasRevision()
          ? BigInt(options.getRevision())
          : options.hasNoStream()
            ? 'no_stream'
            : options.hasStreamExists()
              ? 'stream_exists'
              : 'any';
        const stream = this.stream(streamName);
        if (stream.tombstoned) return callback(streamDeleted(streamName));
        callback(null, this.decide(stream, streamName, expected, proposed));
      }, this.appendDelayMs);
      this.timers.add(timer);
    });
  }

  private decide(
    stream: Stream,
    streamName: string,
    expected: Expected,
    proposed: Pick<StoredEvent, 'id' | 'metadata' | 'data' | 'customMetadata'>[],
  ): InstanceType<typeof AppendResp> {
    const current = BigInt(stream.events.length - 1);
    const success = (last: StoredEvent | undefined) => {
      const result = new AppendResp.Success();
      if (last) {
        result.setCurrentRevision(last.revision.toString());
        result.setPosition(
          new AppendResp.Position()
            .setCommitPosition(last.commit.toString())
            .setPreparePosition(last.prepare.toString()),
        );
      } else {
        result.setNoStream(new sharedPb.Empty()).setNoPosition(new sharedPb.Empty());
      }
      return new AppendResp().setSuccess(result);
    };
    // Idempotency: the same ids already written right after the expected revision.
    const ids = proposed.map((event) => event.id);
    const writtenAfter = (revision: bigint): StoredEvent | undefined => {
      const run = stream.events.slice(Number(revision + 1n), Number(revision + 1n) + ids.length);
      return run.length === ids.length && run.every((event, i) => event.id === ids[i])
        ? run.at(-1)
        : undefined;
    };
    const anywhere = (): StoredEvent | undefined => {
      const first = stream.events.findIndex((event) => event.id === ids[0]);
      return first < 0 ? undefined : writtenAfter(BigInt(first - 1));
    };

    if (expected === 'any' || (expected === 'stream_exists' && current >= 0n)) {
      return success(anywhere() ?? this.write(stream, streamName, proposed));
    }
    const revision = expected === 'no_stream' ? -1n : expected;
    if (revision === current && expected !== 'stream_exists') {
      return success(this.write(stream, streamName, proposed));
    }
    if (typeof revision === 'bigint' && revision < current) {
      const idempotent = writtenAfter(revision);
      if (idempotent) return success(idempotent);
    }
    const wrong = new AppendResp.WrongExpectedVersion();
    if (current >= 0n) wrong.setCurrentRevision(current.toString());
    else wrong.setCurrentNoStream(new sharedPb.Empty());
    if (expected === 'no_stream') wrong.setExpectedNoStream(new sharedPb.Empty());
    else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new sharedPb.Empty());
    else wrong.setExpectedRevision(revision.toString());
    return new AppendResp().setWrongExpectedVersion(wrong);
  }

  private read(call: grpc.ServerWritableStream<ReadReq, unknown>): void {
    const options = call.request.getOptions();
    if (options?.hasSubscription() && options.getAll()) {
      this.subscribe(call, options);
      return;
    }
    if (!options || options.hasSubscription()) {
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details: 'stream subscriptions are not implemented',
      });
      return;
    }
    const count = Number(BigInt(options.getCount()) > 2n ** 31n ? 2n ** 31n : BigInt(options.getCount()));
    const backwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
    let events: StoredEvent[];
    const streamOptions = options.getStream();
    const allOptions = options.getAll();
    if (streamOptions) {
      const streamName = nameOf(streamOptions.getStreamIdentifier());
      const stream = this.streams.get(streamName);
      if (stream?.tombstoned) {
        call.emit('error', streamDeleted(streamName));
        return;
      }
      if (!stream || stream.events.length === 0) {
        call.write(
          new ReadResp().setStreamNotFound(
            new ReadResp.StreamNotFound().setStreamIdentifier(streamOptions.getStreamIdentifier()),
          ),
        );
        call.end();
        return;
      }
      const last = stream.events.length - 1;
      const from = streamOptions.hasRevision()
        ? Math.min(Number(BigInt(streamOptions.getRevision())), backwards ? last : stream.events.length)
        : streamOptions.hasEnd()
          ? backwards
            ? last
            : stream.events.length
          : backwards
            ? -1
            : 0;
      events = backwards
        ? stream.events.slice(Math.max(0, from - count + 1), from + 1).reverse()
        : stream.events.slice(from, from + count);
    } else if (allOptions) {
      let from: number;
      if (allOptions.hasStart()) from = backwards ? -1 : 0;
      else if (allOptions.hasEnd()) from = backwards ? this.log.length - 1 : this.log.length;
      else {
        const commit = BigInt(allOptions.getPosition()?.getCommitPosition() ?? '0');
        const index = this.log.findIndex((event) => event.commit >= commit);
        from = index < 0 ? this.log.length : index;
        if (backwards) from -= 1; // backwards from a position: the events before it
      }
      const matches = filterOf(options);
      const selected: StoredEvent[] = [];
      for (let i = from; i >= 0 && i < this.log.length && selected.length < count; i += backwards ? -1 : 1) {
        const event = this.log[i]!;
        if (matches(event)) selected.push(event);
      }
      events = selected;
    } else {
      call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'no stream or $all options' });
      return;
    }
    if (allOptions) this.allEventsSent += events.length;
    for (const event of events) call.write(new ReadResp().setEvent(readEvent(event)));
    call.end();
  }

  private subscribe(
    call: grpc.ServerWritableStream<ReadReq, unknown>,
    options: InstanceType<typeof streamsPb.ReadReq.Options>,
  ): void {
    const all = options.getAll()!;
    const filter = options.getFilter();
    const subscriber: Subscriber = {
      call,
      matches: filterOf(options),
      scanned: 0,
      checkpointEvery: filter
        ? Math.max(1, filter.getCheckpointintervalmultiplier() || 1) *
          (filter.hasMax() ? filter.getMax() : 32)
        : 0,
    };
    call.write(
      new ReadResp().setConfirmation(
        new ReadResp.SubscriptionConfirmation().setSubscriptionId(crypto.randomUUID()),
      ),
    );
    // Catch-up: a subscription from a position starts after it (the event at it was seen already).
    let from = this.log.length;
    if (all.hasStart()) from = 0;
    else if (all.hasPosition()) {
      const commit = BigInt(all.getPosition()?.getCommitPosition() ?? '0');
      const index = this.log.findIndex((event) => event.commit > commit);
      from = index < 0 ? this.log.length : index;
    }
    for (const event of this.log.slice(from)) this.deliver(subscriber, event);
    // The caught-up checkpoint is the last event looked at: resuming after it skips nothing.
    const last = this.log.at(-1);
    if (subscriber.checkpointEvery > 0 && last) {
      call.write(
        new ReadResp().setCheckpoint(
          new ReadResp.Checkpoint()
            .setCommitPosition(last.commit.toString())
            .setPreparePosition(last.prepare.toString()),
        ),
      );
      subscriber.scanned = 0;
    }
    call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
    this.subscribers.add(subscriber);
    const forget = () => this.subscribers.delete(subscriber);
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
  }

  private deliver(subscriber: Subscriber, event: StoredEvent): void {
    if (subscriber.matches(event)) {
      this.allEventsSent++;
      subscriber.call.write(new ReadResp().setEvent(readEvent(event)));
    }
    if (subscriber.checkpointEvery === 0 || ++subscriber.scanned < subscriber.checkpointEvery) return;
    subscriber.scanned = 0;
    subscriber.call.write(
      new ReadResp().setCheckpoint(
        new ReadResp.Checkpoint()
          .setCommitPosition(event.commit.toString())
          .setPreparePosition(event.prepare.toString()),
      ),
    );
  }

  private tombstone(
    call: grpc.ServerUnaryCall<TombstoneReq, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void {
    const streamName = nameOf(call.request.getOptions()?.getStreamIdentifier());
    const stream = this.stream(streamName);
    if (stream.tombstoned) return callback(streamDeleted(streamName));
    const current = BigInt(stream.events.length - 1);
    const expected = expectedOfTombstone(call.request.getOptions(), current);
    if (expected !== undefined) return callback(wrongExpectedVersion(streamName, expected, current));
    stream.tombstoned = true;
    const tombstone = this.record(streamName, TOMBSTONE_REVISION, {
      id: crypto.randomUUID(),
      metadata: new Map([
        ['type', '$streamDeleted'],
        ['content-type', 'application/octet-stream'],
      ]),
      data: new Uint8Array(),
      customMetadata: new Uint8Array(),
    });
    callback(
      null,
      new TombstoneResp().setPosition(
        new TombstoneResp.Position()
          .setCommitPosition(tombstone.commit.toString())
          .setPreparePosition(tombstone.prepare.toString()),
      ),
    );
  }
}

/** The revision the server gives a tombstone (long.MaxValue). */
const TOMBSTONE_REVISION = 2n ** 63n - 1n;

function readEvent(event: StoredEvent): InstanceType<typeof ReadResp.ReadEvent> {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new sharedPb.UUID().setString(event.id))
    .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(event.streamName, 'utf8')))
    .setStreamRevision(event.revision.toString())
    .setCommitPosition(event.commit.toString())
    .setPreparePosition(event.prepare.toString())
    .setData(event.data)
    .setCustomMetadata(event.customMetadata);
  for (const [key, value] of event.metadata) recorded.getMetadataMap().set(key, value);
  return new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(event.commit.toString());
}

function filterOf(options: InstanceType<typeof streamsPb.ReadReq.Options>): (event: StoredEvent) => boolean {
  const filter = options.getFilter();
  if (!filter) return () => true;
  const onStream = filter.getStreamIdentifier();
  const expression = onStream ?? filter.getEventType();
  const prefixes = expression?.getPrefixList() ?? [];
  const regex = expression?.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (event) => {
    const subject = onStream ? event.streamName : (event.metadata.get('type') ?? '');
    if (prefixes.length > 0 && !prefixes.some((prefix) => subject.startsWith(prefix))) return false;
    return regex ? regex.test(subject) : true;
  };
}

function nameOf(identifier: InstanceType<typeof sharedPb.StreamIdentifier> | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

function uuidOf(uuid: InstanceType<typeof sharedPb.UUID> | undefined): string {
  if (!uuid) return crypto.randomUUID();
  if (uuid.hasString()) return uuid.getString();
  const structured = uuid.getStructured();
  const hex = (value: string) => BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0');
  const all =
    hex(structured?.getMostSignificantBits() ?? '0') + hex(structured?.getLeastSignificantBits() ?? '0');
  return `${all.slice(0, 8)}-${all.slice(8, 12)}-${all.slice(12, 16)}-${all.slice(16, 20)}-${all.slice(20)}`;
}

/** The server's answer for a tombstoned stream: the `exception` trailer names it. */
function streamDeleted(streamName: string): Partial<grpc.StatusObject> & { code: grpc.status } {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'stream-deleted');
  metadata.set('stream-name', streamName);
  return {
    code: grpc.status.FAILED_PRECONDITION,
    details: `Event stream '${streamName}' is deleted.`,
    metadata,
  };
}

/**
 * The expected revision a tombstone request names when the stream is not there (the server's
 * numbers: -1 no stream, -4 stream exists), or undefined when it is met.
 */
function expectedOfTombstone(
  options: ReturnType<TombstoneReq['getOptions']>,
  current: bigint,
): bigint | undefined {
  if (options?.hasRevision()) {
    const expected = BigInt(options.getRevision());
    return expected === current ? undefined : expected;
  }
  if (options?.hasNoStream()) return current === -1n ? undefined : -1n;
  if (options?.hasStreamExists()) return current >= 0n ? undefined : -4n;
  return undefined;
}

/** A refused delete or tombstone, as the server reports it: an error with the versions as metadata. */
function wrongExpectedVersion(
  streamName: string,
  expected: bigint,
  actual: bigint,
): Partial<grpc.StatusObject> & { code: grpc.status } {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'wrong-expected-version');
  metadata.set('stream-name', streamName);
  metadata.set('expected-version', expected.toString());
  metadata.set('actual-version', actual.toString());
  return {
    code: grpc.status.FAILED_PRECONDITION,
    details: `Append failed due to WrongExpectedVersion. Stream: ${streamName}, Expected version: ${expected}, Actual version: ${actual}`,
    metadata,
  };
}

function unimplemented(callback: grpc.sendUnaryData<unknown>): void {
  callback({ code: grpc.status.UNIMPLEMENTED, details: 'not implemented by the stand-in' });
}
