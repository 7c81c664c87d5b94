import { randomUUID } from 'node:crypto';
import { CONVERSATION_STREAM_PREFIX } from '../src/conversation/conversation-stream.js';
import type { RecordedEvent } from '../src/event-store/event-store.port.js';
import {
  EventStoreDbEventStore,
  parsePosition,
} from '../src/event-store/eventstoredb/eventstoredb-event-store.js';
import { EventStoreDbStandIn } from './support/eventstoredb-standin.js';
import { newEvent as event } from './support/events.js';

/**
 * The global log on EventStoreDB is read through a catch-up subscription that the server filters
 * to the stream prefix: other streams' events never reach the client, and the checkpoint still
 * moves past them.
 */
describe('EventStoreDB adapter: the global log filtered by the server', () => {
  let standIn: EventStoreDbStandIn;
  /** The service's view: conversation streams only. */
  let store: EventStoreDbEventStore;
  /** Writes anything, and reads every stream. */
  let unfiltered: EventStoreDbEventStore;
  const conversation = () => `${CONVERSATION_STREAM_PREFIX}${randomUUID()}`;

  beforeEach(async () => {
    standIn = await EventStoreDbStandIn.start({ firstPosition: 2n ** 60n });
    store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString, {
      streamPrefix: CONVERSATION_STREAM_PREFIX,
    });
    unfiltered = EventStoreDbEventStore.fromConnectionString(standIn.connectionString);
  });
  afterEach(async () => {
    await store.close();
    await unfiltered.close();
    await standIn.stop();
  });

  /** `count` events, each in a stream of its own outside the prefix. */
  async function others(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await unfiltered.append(`other-${randomUUID()}`, [event('Other')], 'any');
  }

  async function readAllFrom(reader: EventStoreDbEventStore, maxCount: number, after?: string) {
    const seen: RecordedEvent[] = [];
    let checkpoint = after;
    for (;;) {
      const page = await reader.readAll({ after: checkpoint, maxCount });
      if (page.events.length === 0) return { seen, checkpoint: page.checkpoint };
      seen.push(...page.events);
      checkpoint = page.checkpoint;
    }
  }

  it('sends only the prefix’s events, and the checkpoint moves past the others', async () => {
    const name = conversation();
    await others(70);
    await store.append(name, [event('Mine'), event('Mine')], 'no_stream');
    await others(70);
    await store.append(name, [event('Mine')], 1n);
    await others(70);
    standIn.writeSystemEvent();
    const lastOther = (await unfiltered.readAll({ after: undefined, maxCount: 10_000 })).checkpoint!;

    standIn.allEventsSent = 0;
    const page = await store.readAll({ maxCount: 100 });
    expect(page.events.map((e) => [e.streamName, e.revision])).toEqual([
      [name, 0n],
      [name, 1n],
      [name, 2n],
    ]);
    expect(standIn.allEventsSent).toBe(3);
    // Past the last event of the log, skipped by the server: nothing is looked at again.
    expect(parsePosition(page.checkpoint!)).toEqual(parsePosition(lastOther));
    standIn.allEventsSent = 0;
    expect(await store.readAll({ after: page.checkpoint })).toEqual({
      events: [],
      checkpoint: page.checkpoint,
    });
    expect(standIn.allEventsSent).toBe(0);

    await others(5);
    await store.append(name, [event('Later')], 2n);
    const next = await store.readAll({ after: page.checkpoint });
    expect(next.events.map((e) => [e.type, e.revision])).toEqual([['Later', 3n]]);
    expect(standIn.allEventsSent).toBe(1);
  });

  it('pages resume exactly: every event once, in order, positions beyond 2^53 intact', async () => {
    const names = [conversation(), conversation()];
    const written: string[] = [];
    for (let i = 0; i < 40; i++) {
      const name = names[i % 2]!;
      const appended = await store.append(name, [event('Mine', { i })], 'any');
      written.push(appended.position);
      if (i % 3 === 0) await others(i % 7);
    }
    for (const maxCount of [1, 3, 1000]) {
      const { seen } = await readAllFrom(store, maxCount);
      expect(seen.map((e) => e.position)).toEqual(written);
      expect(seen.map((e) => (e.data as { i: number }).i)).toEqual(written.map((_, i) => i));
    }
    expect(parsePosition(written[0]!).commit).toBeGreaterThanOrEqual(2n ** 60n);
    expect(await store.countAfter(written[9], 1000)).toBe(30);
  });

  it('without a prefix the log holds every stream but the server’s own', async () => {
    const name = conversation();
    await others(2);
    standIn.writeSystemEvent();
    await store.append(name, [event('Mine')], 'no_stream');
    const { seen } = await readAllFrom(unfiltered, 2);
    expect(seen.map((e) => e.type)).toEqual(['Other', 'Other', 'Mine']);
  });
});
