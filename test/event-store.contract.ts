import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  type EventStore,
  EventStoreUnavailableError,
  type NewEvent,
  type RecordedEvent,
  StreamErasedError,
  WrongExpectedVersionError,
} from '../src/event-store/event-store.port.js';
import { CONVERSATION_STREAM_PREFIX, projectIdOf } from '../src/conversation/conversation-stream.js';
import { newEvent as event, userMessagedEvent } from './support/events.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DelayedAppend {
  /** Resolves once the events are written but not yet committed. */
  written: Promise<void>;
  commit(): Promise<void>;
}

export interface ContractSubject {
  store: EventStore;
  /**
   * Appends inside a transaction that stays open until commit(). Adapters whose global log is
   * ordered by commit anyway (EventStoreDB) leave it out.
   */
  delayedAppend?(streamName: string, events: NewEvent[]): DelayedAppend;
  /** Opens a long transaction that writes something else; resolves to its end. */
  unrelatedTransaction?(): Promise<() => Promise<void>>;
  cleanup(): Promise<void>;
  /**
   * `unique` (the default): an event id already stored is refused with DuplicateEventIdError.
   * `idempotent` (EventStoreDB): ids are no unique key; appending the same events again at the
   * same expected revision succeeds without writing them twice.
   */
  eventIds?: 'unique' | 'idempotent';
  /**
   * Erases inside a transaction that stays open until commit(). Adapters that cannot hold an
   * erasure open leave it out.
   */
  delayedErase?(streamName: string): DelayedAppend;
  /** A store of this adapter configured to reach a server that is not there. */
  unreachable?(): Promise<{ store: EventStore; cleanup(): Promise<void> }>;
}

const stream = () => `contract-${randomUUID()}`;

async function settle<T>(promises: Promise<T>[]) {
  const results = await Promise.allSettled(promises);
  return {
    fulfilled: results.filter((result) => result.status === 'fulfilled'),
    rejected: results
      .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
      .map((result) => result.reason as unknown),
  };
}

/** Reads the whole global log from `after` and keeps only the given streams' events. */
async function readAllOf(store: EventStore, streams: string[], after?: string): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  let checkpoint = after;
  for (;;) {
    const page = await store.readAll({ after: checkpoint, maxCount: 500 });
    seen.push(...page.events.filter((recorded) => streams.includes(recorded.streamName)));
    if (page.events.length === 0) return seen;
    checkpoint = page.checkpoint;
  }
}

export function eventStoreContract(adapter: string, subject: () => Promise<ContractSubject>): void {
  describe(`EventStore contract: ${adapter}`, () => {
    let s: ContractSubject;
    let store: EventStore;

    beforeAll(async () => {
      s = await subject();
      store = s.store;
    });
    afterAll(async () => s.cleanup());

    describe('expected revision', () => {
      it('no_stream: creates a stream, numbering from 0', async () => {
        const name = stream();
        const result = await store.append(name, [event(), event()], 'no_stream');
        expect(result.nextExpectedRevision).toBe(1n);
        expect(typeof result.position).toBe('string');
        expect(await store.streamRevision(name)).toBe(1n);
      });

      it('no_stream: rejects an existing stream with the actual revision', async () => {
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        const error = await store.append(name, [event()], 'no_stream').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ streamName: name, expected: 'no_stream', actual: 0n });
      });

      it('exact: appends at the current revision and rejects any other', async () => {
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        expect((await store.append(name, [event()], 0n)).nextExpectedRevision).toBe(1n);
        const stale = await store.append(name, [event()], 0n).catch((e: unknown) => e);
        expect(stale).toMatchObject({ expected: 0n, actual: 1n });
        const ahead = await store.append(name, [event()], 5n).catch((e: unknown) => e);
        expect(ahead).toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.streamRevision(name)).toBe(1n);
      });

      it('exact: rejects a stream that does not exist, with actual -1', async () => {
        const error = await store.append(stream(), [event()], 0n).catch((e: unknown) => e);
        expect(error).toMatchObject({ expected: 0n, actual: -1n });
      });

      it('stream_exists: rejects a missing stream and appends to an existing one', async () => {
        const name = stream();
        const missing = await store.append(name, [event()], 'stream_exists').catch((e: unknown) => e);
        expect(missing).toMatchObject({ expected: 'stream_exists', actual: -1n });
        await store.append(name, [event()], 'no_stream');
        expect((await store.append(name, [event()], 'stream_exists')).nextExpectedRevision).toBe(1n);
      });

      it('any: appends whatever the stream state', async () => {
        const name = stream();
        expect((await store.append(name, [event()], 'any')).nextExpectedRevision).toBe(0n);
        expect((await store.append(name, [event(), event()], 'any')).nextExpectedRevision).toBe(2n);
      });

      it('an empty append only checks the expectation', async () => {
        const name = stream();
        expect((await store.append(name, [], 'no_stream')).nextExpectedRevision).toBe(-1n);
        await store.append(name, [event()], 'no_stream');
        await expect(store.append(name, [], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.readStream(name)).toHaveLength(1);
      });
    });

    describe('under concurrency', () => {
      it.each([
        ['no_stream', 'no_stream' as const],
        ['an exact revision', 0n],
      ])(
        '32 appends expecting %s: exactly one wins, the rest get the typed error',
        async (_label, expected) => {
          const name = stream();
          if (expected === 0n) await store.append(name, [event()], 'no_stream');
          const { fulfilled, rejected } = await settle(
            Array.from({ length: 32 }, (_, i) => store.append(name, [event('Raced', { i })], expected)),
          );
          expect(fulfilled).toHaveLength(1);
          expect(rejected).toHaveLength(31);
          for (const error of rejected) expect(error).toBeInstanceOf(WrongExpectedVersionError);
          const stored = await store.readStream(name);
          expect(stored).toHaveLength(expected === 0n ? 2 : 1);
        },
      );

      it('32 concurrent appends with any: all stored, once, with contiguous revisions', async () => {
        const name = stream();
        const appended = Array.from({ length: 32 }, (_, i) => event('Raced', { i }));
        await Promise.all(appended.map((e) => store.append(name, [e], 'any')));
        const stored = await store.readStream(name);
        expect(stored.map((e) => e.revision)).toEqual(Array.from({ length: 32 }, (_, i) => BigInt(i)));
        expect(new Set(stored.map((e) => e.id))).toEqual(new Set(appended.map((e) => e.id)));
      });

      it('a writer retrying on conflict loses nothing: 16 writers x 10 events', async () => {
        const name = stream();
        const writer = async (w: number) => {
          for (let i = 0; i < 10; i++) {
            for (;;) {
              const revision = await store.streamRevision(name);
              const expected = revision === -1n ? ('no_stream' as const) : revision;
              try {
                await store.append(name, [event('Wrote', { w, i })], expected);
                break;
              } catch (error) {
                if (!(error instanceof WrongExpectedVersionError)) throw error;
              }
            }
          }
        };
        await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
        const stored = await store.readStream(name);
        expect(stored).toHaveLength(160);
        for (let w = 0; w < 16; w++) {
          const own = stored.map((e) => e.data as { w: number; i: number }).filter((d) => d.w === w);
          expect(own.map((d) => d.i)).toEqual([...Array(10).keys()]);
        }
      });
    });

    describe('atomic multi-event appends', () => {
      it('stores all events of an append contiguously, in order', async () => {
        const name = stream();
        const batch = Array.from({ length: 5 }, (_, i) => event('Part', { i }));
        await Promise.all([
          store.append(name, batch, 'any'),
          store.append(name, [event('Other')], 'any'),
          store.append(name, [event('Other')], 'any'),
        ]);
        const stored = await store.readStream(name);
        const first = stored.findIndex((e) => e.type === 'Part');
        expect(stored.slice(first, first + 5).map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      it('stores none of them when one event id is already stored', async () => {
        if (s.eventIds === 'idempotent') return;
        const name = stream();
        const existing = event();
        await store.append(name, [existing], 'no_stream');
        const error = await store.append(name, [event(), existing], 0n).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(await store.readStream(name)).toHaveLength(1);
        expect(await store.streamRevision(name)).toBe(0n);
      });

      it('appending the same events again at the same expected revision writes them once', async () => {
        if (s.eventIds !== 'idempotent') return;
        const name = stream();
        const batch = [event(), event()];
        const first = await store.append(name, batch, 'no_stream');
        const again = await store.append(name, batch, 'no_stream');
        expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect((await store.readStream(name)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      it('a failing append does not take concurrent appends down with it', async () => {
        const name = stream();
        const other = stream();
        const existing = event();
        await store.append(name, [existing], 'no_stream');
        const { rejected } = await settle([
          store.append(name, [existing], 'any'),
          ...Array.from({ length: 8 }, () => store.append(other, [event()], 'any')),
          store.append(name, [event()], 5n),
        ]);
        // Idempotent ids: re-appending the stored event with `any` is a success, not a failure.
        expect(rejected).toHaveLength(s.eventIds === 'idempotent' ? 1 : 2);
        expect(await store.readStream(other)).toHaveLength(8);
        expect(await store.readStream(name)).toHaveLength(1);
      });
    });

    describe('ping', () => {
      it('answers while the store is reachable', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('rejects with EventStoreUnavailableError when the store cannot be reached', async () => {
        if (!s.unreachable) return;
        const unreachable = await s.unreachable();
        try {
          await expect(unreachable.store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
        } finally {
          await unreachable.cleanup();
        }
      });
    });

    describe('watching appends', () => {
      const conversation = () => `${CONVERSATION_STREAM_PREFIX}contract-${randomUUID()}`;

      /**
       * Appends to `name` until a report names it (the watch may take a moment to be in place).
       * What goes to a conversation stream is a conversation event, so that a projector reading
       * the same log later (the e2e suite after this one on a shared live server) can apply it.
       */
      async function appendUntilReported(reports: (readonly string[] | '*')[], name: string): Promise<void> {
        const deadline = Date.now() + 5_000;
        while (!reports.some((report) => report !== '*' && report.includes(name))) {
          if (Date.now() > deadline) throw new Error(`no report of ${name}: ${JSON.stringify(reports)}`);
          await store.append(name, [userMessagedEvent(projectIdOf(name)!, 'watched')], 'any');
          await sleep(100);
        }
      }

      it('reports an append to a conversation stream by its name', async () => {
        const reports: (readonly string[] | '*')[] = [];
        const watch = store.watchAppends((names) => reports.push(names));
        try {
          await appendUntilReported(reports, conversation());
        } finally {
          watch.close();
        }
      });

      it('a closed watch reports nothing more, while another one still does', async () => {
        const closedReports: (readonly string[] | '*')[] = [];
        const openReports: (readonly string[] | '*')[] = [];
        const closed = store.watchAppends((names) => closedReports.push(names));
        const open = store.watchAppends((names) => openReports.push(names));
        try {
          await appendUntilReported(closedReports, conversation());
          closed.close();
          const before = closedReports.length;
          await appendUntilReported(openReports, conversation());
          await sleep(200);
          expect(closedReports).toHaveLength(before);
        } finally {
          closed.close();
          open.close();
        }
      });
    });

    describe('reading a stream', () => {
      let name: string;
      const appended = Array.from({ length: 10 }, (_, i) => event('Numbered', { i }));
      beforeAll(async () => {
        name = stream();
        await store.append(name, appended.slice(0, 4), 'no_stream');
        await store.append(name, appended.slice(4), 3n);
      });

      it('forwards from the start, with every field', async () => {
        const stored = await store.readStream(name);
        expect(stored.map((e) => e.id)).toEqual(appended.map((e) => e.id));
        expect(stored[3]).toMatchObject({
          streamName: name,
          revision: 3n,
          type: 'Numbered',
          data: { i: 3 },
          metadata: appended[3]?.metadata,
        });
        expect(stored[3]?.createdAt).toBeInstanceOf(Date);
      });

      it('forwards from a revision with a limit', async () => {
        const stored = await store.readStream(name, { fromRevision: 4n, maxCount: 3 });
        expect(stored.map((e) => e.revision)).toEqual([4n, 5n, 6n]);
      });

      it('backwards from the end and from a revision', async () => {
        const fromEnd = await store.readStream(name, { direction: 'backwards', maxCount: 3 });
        expect(fromEnd.map((e) => e.revision)).toEqual([9n, 8n, 7n]);
        const fromFive = await store.readStream(name, {
          direction: 'backwards',
          fromRevision: 5n,
          maxCount: 2,
        });
        expect(fromFive.map((e) => e.revision)).toEqual([5n, 4n]);
      });

      it('an unknown stream reads empty, at revision -1', async () => {
        expect(await store.readStream(stream())).toEqual([]);
        expect(await store.streamRevision(stream())).toBe(-1n);
      });
    });

    describe('erasing a stream', () => {
      it('removes its events: it reads as a stream that never existed', async () => {
        const name = stream();
        await store.append(name, [event(), event(), event()], 'no_stream');
        expect(await store.eraseStream(name)).toEqual({ eventsRemoved: 3 });
        expect(await store.readStream(name)).toEqual([]);
        expect(await store.readStream(name, { direction: 'backwards' })).toEqual([]);
        expect(await store.streamRevision(name)).toBe(-1n);
      });

      it('refuses every later append, whatever its expectation', async () => {
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        await store.eraseStream(name);
        for (const expected of ['no_stream', 'any', 'stream_exists', 0n] as const) {
          const refused = await store.append(name, [event()], expected).catch((error: unknown) => error);
          expect(refused).toBeInstanceOf(StreamErasedError);
          expect((refused as StreamErasedError).streamName).toBe(name);
        }
        expect(await store.readStream(name)).toEqual([]);
      });

      it('is idempotent, and erasing a stream never written refuses its appends too', async () => {
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        expect(await store.eraseStream(name)).toEqual({ eventsRemoved: 1 });
        expect(await store.eraseStream(name)).toEqual({ eventsRemoved: 0 });
        const never = stream();
        expect(await store.eraseStream(never)).toEqual({ eventsRemoved: 0 });
        await expect(store.append(never, [event()], 'no_stream')).rejects.toBeInstanceOf(StreamErasedError);
      });

      it('leaves the global log whole: every other event once, in order, and counted', async () => {
        const start = await lastCheckpoint(store);
        const [before, erased, after] = [stream(), stream(), stream()];
        for (let i = 0; i < 5; i++) {
          await store.append(before, [event('Kept', { i })], 'any');
          await store.append(erased, [event('Erased', { i })], 'any');
        }
        await store.eraseStream(erased);
        await store.append(after, [event('Kept', { i: 0 })], 'no_stream');
        const seen = await readAllOf(store, [before, erased, after], start);
        expect(seen.map((e) => [e.streamName, e.revision])).toEqual([
          ...Array.from({ length: 5 }, (_, i) => [before, BigInt(i)]),
          [after, 0n],
        ]);
        expect(await store.countAfter(start, 1000)).toBe(6);
        // A reader whose checkpoint is an erased event's position resumes after it.
        expect(await lastCheckpoint(store)).toBe(seen.at(-1)?.position);
      });

      it('an append racing the erasure either lands before it, and is erased, or is refused', async () => {
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        const appends = Array.from({ length: 32 }, () => store.append(name, [event()], 'any'));
        const erasure = store.eraseStream(name);
        const { fulfilled, rejected } = await settle(appends);
        const { eventsRemoved } = await erasure;
        expect(rejected.every((error) => error instanceof StreamErasedError)).toBe(true);
        expect(eventsRemoved).toBe(1 + fulfilled.length);
        expect(await store.readStream(name)).toEqual([]);
        await expect(store.append(name, [event()], 'any')).rejects.toBeInstanceOf(StreamErasedError);
      });

      it('an append under way when the erasure starts commits first, and is erased with the rest', async () => {
        if (!s.delayedAppend) return;
        const name = stream();
        const slow = s.delayedAppend(name, [event('Slow')]);
        await slow.written;
        const erasure = store.eraseStream(name);
        await sleep(100);
        await slow.commit();
        expect(await erasure).toEqual({ eventsRemoved: 1 });
        expect(await store.readStream(name)).toEqual([]);
      });

      it('an append that waits for the erasure to finish is refused', async () => {
        if (!s.delayedErase) return;
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        const erasure = s.delayedErase(name);
        await erasure.written;
        const waiting = store.append(name, [event()], 0n).catch((error: unknown) => error);
        await sleep(100);
        await erasure.commit();
        expect(await waiting).toBeInstanceOf(StreamErasedError);
        expect(await store.readStream(name)).toEqual([]);
      });
    });

    describe('the global log', () => {
      it('returns every event once, resuming from checkpoints, each stream in revision order', async () => {
        const start = await lastCheckpoint(store);
        const names = [stream(), stream(), stream()];
        await Promise.all(
          names.flatMap((name) =>
            Array.from({ length: 20 }, (_, i) => store.append(name, [event('G', { i })], 'any')),
          ),
        );
        const seen = await readAllOf(store, names, start);
        expect(seen).toHaveLength(60);
        expect(new Set(seen.map((e) => e.id)).size).toBe(60);
        for (const name of names) {
          const revisions = seen.filter((e) => e.streamName === name).map((e) => e.revision);
          expect(revisions).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
        }
      });

      it('counts the events after a position, up to a cap', async () => {
        const start = await lastCheckpoint(store);
        const name = stream();
        await store.append(name, [event(), event(), event()], 'no_stream');
        expect(await store.countAfter(start, 100)).toBe(3);
        expect(await store.countAfter(start, 2)).toBe(2);
        expect(await store.countAfter(await lastCheckpoint(store), 100)).toBe(0);
      });

      it('never skips an event whose transaction commits after a later one', async () => {
        if (!s.delayedAppend) return;
        const start = await lastCheckpoint(store);
        const slowStream = stream();
        const fastStream = stream();
        const slow = s.delayedAppend(slowStream, [event('Slow')]);
        await slow.written;
        await store.append(fastStream, [event('Fast')], 'no_stream');

        // A reader that catches up now must not move past the slow event's place...
        const before = await store.readAll({ after: start, maxCount: 1000 });
        const early = before.events.filter((e) => [slowStream, fastStream].includes(e.streamName));
        expect(early).toEqual([]);

        await slow.commit();
        // ...so that, resuming from its checkpoint, it sees both.
        const after = await readAllOf(store, [slowStream, fastStream], before.checkpoint);
        expect(after.map((e) => e.type)).toEqual(['Slow', 'Fast']);
      });

      it('is not held back by a long transaction that appends nothing', async () => {
        if (!s.unrelatedTransaction) return;
        const start = await lastCheckpoint(store);
        const end = await s.unrelatedTransaction();
        try {
          const name = stream();
          await store.append(name, [event('WhileOtherWorkRuns')], 'no_stream');
          const seen = await readAllOf(store, [name], start);
          expect(seen.map((e) => e.type)).toEqual(['WhileOtherWorkRuns']);
        } finally {
          await end();
        }
      });
    });
  });
}

async function lastCheckpoint(store: EventStore): Promise<string | undefined> {
  let checkpoint: string | undefined;
  for (;;) {
    const page = await store.readAll({ after: checkpoint, maxCount: 1000 });
    if (page.events.length === 0) return checkpoint;
    checkpoint = page.checkpoint;
  }
}
