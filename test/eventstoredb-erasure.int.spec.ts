import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { type RecordedEvent, StreamErasedError } from '../src/event-store/event-store.port.js';
import { EventStoreDbEventStore } from '../src/event-store/eventstoredb/eventstoredb-event-store.js';
import { EventStoreDbStandIn } from './support/eventstoredb-standin.js';
import { newEvent as event } from './support/events.js';
import { freePort } from './support/ports.js';

/** Erasure on EventStoreDB: a tombstone, through the real client and the stand-in. */
describe('EventStoreDB adapter: eraseStream', () => {
  let standIn: EventStoreDbStandIn;
  let store: EventStoreDbEventStore;
  const stream = () => `conversation-${randomUUID()}`;

  beforeEach(async () => {
    standIn = await EventStoreDbStandIn.start({ firstPosition: 2n ** 60n });
    store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString);
  });
  afterEach(async () => {
    await store.close();
    await standIn.stop();
  });

  async function wholeLog(): Promise<RecordedEvent[]> {
    const seen: RecordedEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.readAll({ after, maxCount: 2 });
      if (page.events.length === 0) return seen;
      seen.push(...page.events);
      after = page.checkpoint;
    }
  }

  it('counts what it removes, and erasing again or a stream never written removes nothing', async () => {
    const name = stream();
    await store.append(name, [event(), event(), event()], 'no_stream');
    expect(await store.eraseStream(name)).toEqual({ eventsRemoved: 3 });
    expect(await store.eraseStream(name)).toEqual({ eventsRemoved: 0 });
    expect(await store.eraseStream(stream())).toEqual({ eventsRemoved: 0 });
  });

  it('an erased stream reads as never written and refuses appends with StreamErasedError', async () => {
    const name = stream();
    await store.append(name, [event()], 'no_stream');
    await store.eraseStream(name);
    expect(await store.readStream(name)).toEqual([]);
    expect(await store.readStream(name, { direction: 'backwards' })).toEqual([]);
    expect(await store.streamRevision(name)).toBe(-1n);
    for (const expected of ['any', 'no_stream', 'stream_exists', 0n] as const) {
      const error = await store.append(name, [event()], expected).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamErasedError);
      expect(error).toMatchObject({ streamName: name });
    }
  });

  it('a stream erased before it was written can never be written', async () => {
    const name = stream();
    await store.eraseStream(name);
    await expect(store.append(name, [event()], 'no_stream')).rejects.toBeInstanceOf(StreamErasedError);
  });

  it('leaves other streams untouched, and the global log no longer returns its events', async () => {
    const erased = stream();
    const kept = stream();
    await store.append(kept, [event('Kept')], 'no_stream');
    await store.append(erased, [event('Erased'), event('Erased')], 'no_stream');
    await store.append(kept, [event('Kept')], 0n);
    await store.append(erased, [event('Erased')], 1n);

    await store.eraseStream(erased);

    expect((await store.readStream(kept)).map((e) => e.revision)).toEqual([0n, 1n]);
    await store.append(kept, [event('Kept')], 1n);
    // Before any scavenge: the server's $all still holds them, the adapter leaves them out.
    const before = await wholeLog();
    expect(before.map((e) => [e.streamName, e.type])).toEqual([
      [kept, 'Kept'],
      [kept, 'Kept'],
      [kept, 'Kept'],
    ]);
    expect(await store.countAfter(undefined, 100)).toBe(3);

    // After it, they are gone from $all itself; the tombstone stays.
    expect(standIn.scavenge()).toBe(3);
    expect((await wholeLog()).map((e) => e.id)).toEqual(before.map((e) => e.id));
  });

  it("a server's $all keeps a tombstoned stream's events until its scavenge", async () => {
    const client = EventStoreDBClient.connectionString(standIn.connectionString);
    try {
      const name = stream();
      await store.append(name, [event('Erased')], 'no_stream');
      await store.eraseStream(name);
      const raw = async () => {
        const types: string[] = [];
        for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) {
          if (resolved.event?.streamId === name) types.push(resolved.event.type);
        }
        return types;
      };
      expect(await raw()).toEqual(['Erased', '$streamDeleted']);
      standIn.scavenge();
      expect(await raw()).toEqual(['$streamDeleted']);
    } finally {
      await client.dispose();
    }
  });

  it('an unreachable store answers EventStoreUnavailableError within the deadline', async () => {
    const unreachable = EventStoreDbEventStore.fromConnectionString(
      `esdb://127.0.0.1:${await freePort()}?tls=false&defaultDeadline=1000`,
    );
    try {
      const started = Date.now();
      await expect(unreachable.eraseStream(stream())).rejects.toMatchObject({
        name: 'EventStoreUnavailableError',
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await unreachable.close();
    }
  });
});
