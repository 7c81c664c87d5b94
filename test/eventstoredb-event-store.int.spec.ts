import { EventStoreDBClient } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { createEventStore } from '../src/event-store/event-store.module.js';
import { EventStoreUnavailableError } from '../src/event-store/event-store.port.js';
import {
  EventStoreDbEventStore,
  formatPosition,
  parsePosition,
} from '../src/event-store/eventstoredb/eventstoredb-event-store.js';
import { EventStoreDbStandIn } from './support/eventstoredb-standin.js';
import { newEvent as event } from './support/events.js';
import { freePort } from './support/ports.js';

const until = async (condition: () => boolean, what: string, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** What the EventStoreDB adapter does beyond the contract, through the real client and the stand-in. */
describe('EventStoreDB adapter', () => {
  const stream = () => `conversation-${randomUUID()}`;

  it('EVENT_STORE=eventstoredb selects it, with the connection string and APPEND_CONCURRENCY', async () => {
    const standIn = await EventStoreDbStandIn.start();
    const config = loadConfig({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: standIn.connectionString,
      APPEND_CONCURRENCY: '2',
    });
    const store = await createEventStore(undefined as unknown as pg.Pool, config);
    try {
      expect(store).toBeInstanceOf(EventStoreDbEventStore);
      const name = stream();
      await store.append(name, [event()], 'no_stream');
      expect(await store.streamRevision(name)).toBe(0n);
    } finally {
      await store.close();
      await standIn.stop();
    }
  });

  describe('positions', () => {
    it('commit/prepare positions beyond 2^53 round-trip without loss and resume exactly', async () => {
      const first = 2n ** 60n + 7n;
      const standIn = await EventStoreDbStandIn.start({ firstPosition: first });
      const store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString);
      try {
        const name = stream();
        const appended = await store.append(name, [event(), event(), event()], 'no_stream');
        expect(parsePosition(appended.position).commit).toBeGreaterThan(first);

        const all = await store.readAll();
        expect(all.events.map((e) => e.streamName)).toEqual([name, name, name]);
        expect(parsePosition(all.events[0]!.position)).toEqual({ commit: first, prepare: first });
        expect(all.events[2]!.position).toBe(appended.position);
        // Neighbouring positions differ below 2^53's precision: a Number would merge them.
        expect(Number(parsePosition(all.events[0]!.position).commit)).toBe(Number(first + 1n));

        const rest = await store.readAll({ after: all.events[0]!.position });
        expect(rest.events.map((e) => e.id)).toEqual(all.events.slice(1).map((e) => e.id));
        expect(await store.countAfter(all.events[1]!.position, 10)).toBe(1);
      } finally {
        await store.close();
        await standIn.stop();
      }
    });

    it('formats and parses the full unsigned 64-bit range, and refuses anything else', () => {
      const max = { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 2n };
      expect(parsePosition(formatPosition(max))).toEqual(max);
      expect(() => parsePosition('18446744073709551616/0')).toThrow(RangeError);
      expect(() => parsePosition('12-34')).toThrow(RangeError);
    });
  });

  describe('the global log', () => {
    it("leaves out the server's own events and moves the checkpoint past them", async () => {
      const standIn = await EventStoreDbStandIn.start();
      const store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString);
      try {
        standIn.writeSystemEvent();
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        standIn.writeSystemEvent();
        standIn.writeSystemEvent();
        await store.append(name, [event()], 0n);
        standIn.writeSystemEvent();

        const page = await store.readAll({ maxCount: 1 });
        expect(page.events.map((e) => e.revision)).toEqual([0n]);
        const next = await store.readAll({ after: page.checkpoint, maxCount: 1 });
        expect(next.events.map((e) => e.revision)).toEqual([1n]);
        const end = await store.readAll({ after: next.checkpoint });
        expect(end.events).toEqual([]);
        expect(await store.countAfter(undefined, 100)).toBe(2);
      } finally {
        await store.close();
        await standIn.stop();
      }
    });
  });

  describe('deleted streams', () => {
    it('a tombstoned stream reads as empty, at revision -1', async () => {
      const standIn = await EventStoreDbStandIn.start();
      const client = EventStoreDBClient.connectionString(standIn.connectionString);
      const store = new EventStoreDbEventStore(client);
      try {
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        await client.tombstoneStream(name);
        expect(await store.readStream(name)).toEqual([]);
        expect(await store.streamRevision(name)).toBe(-1n);
      } finally {
        await store.close();
        await standIn.stop();
      }
    });
  });

  describe('concurrent appends', () => {
    it('appends to different streams go out together, at most maxConcurrentAppends at once', async () => {
      const standIn = await EventStoreDbStandIn.start();
      standIn.appendDelayMs = 30;
      const store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString, {
        maxConcurrentAppends: 4,
      });
      try {
        await store.ping();
        const names = Array.from({ length: 12 }, stream);
        await Promise.all(names.map((name) => store.append(name, [event()], 'no_stream')));
        expect(standIn.maxAppendsInFlight).toBe(4);
        for (const name of names) expect(await store.streamRevision(name)).toBe(0n);
      } finally {
        await store.close();
        await standIn.stop();
      }
    });
  });

  describe('an unreachable store', () => {
    let store: EventStoreDbEventStore;
    beforeAll(async () => {
      store = EventStoreDbEventStore.fromConnectionString(
        `esdb://127.0.0.1:${await freePort()}?tls=false&defaultDeadline=2000`,
      );
    });
    afterAll(async () => store.close());

    it.each([
      ['readStream', () => store.readStream(stream())],
      ['streamRevision', () => store.streamRevision(stream())],
      ['readAll', () => store.readAll()],
      ['countAfter', () => store.countAfter(undefined, 10)],
      ['ping', () => store.ping()],
    ])('%s rejects as a read within the deadline', async (_name, call) => {
      const started = Date.now();
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ operation: 'read', outcomeUnknown: false });
      expect(Date.now() - started).toBeLessThan(2_500);
    });

    it('an append rejects within the deadline, known to have written nothing', async () => {
      const started = Date.now();
      const error = await store.append(stream(), [event()], 'no_stream').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ operation: 'append', outcomeUnknown: false });
      expect(Date.now() - started).toBeLessThan(2_500);
    });
  });

  describe('a store that stops answering', () => {
    it('an append whose answer never comes ends at the deadline with its outcome unknown', async () => {
      const standIn = await EventStoreDbStandIn.start();
      const store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString, {
        deadlineMs: 500,
      });
      try {
        await store.ping();
        standIn.appendDelayMs = 5_000;
        const started = Date.now();
        const error = await store.append(stream(), [event()], 'no_stream').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EventStoreUnavailableError);
        expect(error).toMatchObject({ operation: 'append', outcomeUnknown: true });
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        await store.close();
        await standIn.stop();
      }
    });
  });

  describe('a store that accepts calls and never answers', () => {
    let standIn: EventStoreDbStandIn;
    let store: EventStoreDbEventStore;
    beforeAll(async () => {
      standIn = await EventStoreDbStandIn.start();
      standIn.hang();
      // The configured option overrides the string's: 9 s there, 700 ms here.
      store = EventStoreDbEventStore.fromConnectionString(
        `${standIn.connectionString}&defaultDeadline=9000`,
        {
          connection: { defaultDeadline: 700 },
        },
      );
    });
    afterAll(async () => {
      await store.close();
      await standIn.stop();
    });

    it.each([
      ['readStream', () => store.readStream(stream())],
      ['readAll', () => store.readAll()],
      ['ping', () => store.ping()],
      ['append', () => store.append(stream(), [event()], 'no_stream')],
    ])('%s rejects as unavailable at the configured deadline', async (name, call) => {
      const started = Date.now();
      const error = await call().catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ operation: name === 'append' ? 'append' : 'read' });
      expect(elapsed).toBeGreaterThanOrEqual(650);
      expect(elapsed).toBeLessThan(1_500);
    });

    it('a watch whose subscription is never confirmed fails at the deadline, and recovers once answered', async () => {
      const errors: unknown[] = [];
      let recovered = 0;
      const watch = store.watchAppends(() => undefined, {
        onError: (error) => errors.push(error),
        onRecovered: () => recovered++,
      });
      try {
        await until(() => errors.length > 0, 'the unconfirmed subscription to fail', 2_000);
        expect(String(errors[0])).toMatch(/not confirmed within the 700 ms deadline/);
        standIn.answerAgain();
        await until(() => recovered === 1, 'the resubscription', 10_000);
        const name = stream();
        await store.append(name, [event()], 'no_stream');
        expect(await store.streamRevision(name)).toBe(0n);
      } finally {
        watch.close();
        standIn.hang();
      }
    });
  });

  describe('watching appends', () => {
    it('one filtered subscription for all watchers: conversation streams only, batched per tick', async () => {
      const standIn = await EventStoreDbStandIn.start();
      const store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString);
      const reports: (readonly string[] | '*')[] = [];
      const first = store.watchAppends((names) => reports.push(names));
      const second = store.watchAppends(() => undefined);
      try {
        await until(() => standIn.subscriptions === 1, 'the subscription');
        const [a, b] = [stream(), stream()];
        await Promise.all([
          store.append(`other-${randomUUID()}`, [event()], 'no_stream'),
          store.append(a, [event(), event()], 'no_stream'),
          store.append(b, [event()], 'no_stream'),
        ]);
        await until(() => reports.flat().includes(b) && reports.flat().includes(a), 'the report');
        expect(reports.flat().every((name) => name.startsWith('conversation-'))).toBe(true);
        expect(new Set(reports.flat()).size).toBe(reports.flat().length);
        expect(standIn.subscriptions).toBe(1);
        first.close();
        expect(standIn.subscriptions).toBe(1);
        second.close();
        await until(() => standIn.subscriptions === 0, 'the unsubscribe');
      } finally {
        first.close();
        second.close();
        await store.close();
        await standIn.stop();
      }
    });

    it.each(['end', 'unavailable'] as const)(
      'a subscription the server ends (%s) is reported, resubscribed from the end, and followed by "*"',
      async (how) => {
        const standIn = await EventStoreDbStandIn.start();
        const store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString);
        const reports: (readonly string[] | '*')[] = [];
        const errors: number[] = [];
        let recovered = 0;
        const watch = store.watchAppends((names) => reports.push(names), {
          onError: (_error, retryInMs) => errors.push(retryInMs),
          onRecovered: () => recovered++,
        });
        try {
          await until(() => standIn.subscriptions === 1, 'the subscription');
          standIn.endSubscriptions(how);
          await until(() => recovered === 1, 'the resubscription');
          expect(errors).toHaveLength(1);
          expect(errors[0]).toBeLessThanOrEqual(250);
          expect(reports).toContain('*');
          const name = stream();
          await store.append(name, [event()], 'no_stream');
          await until(() => reports.flat().includes(name), 'the report after resubscribing');
          expect(standIn.subscriptions).toBe(1);
        } finally {
          watch.close();
          await store.close();
          await standIn.stop();
        }
      },
    );

    it('an unreachable store is retried with a growing, capped pause', async () => {
      const port = await freePort();
      const store = EventStoreDbEventStore.fromConnectionString(`esdb://127.0.0.1:${port}?tls=false`);
      const pauses: number[] = [];
      const watch = store.watchAppends(() => undefined, {
        onError: (_error, retryInMs) => pauses.push(retryInMs),
      });
      try {
        await until(() => pauses.length >= 3, 'three failures');
        expect(pauses[2]!).toBeLessThanOrEqual(1_000);
        expect(Math.max(...pauses)).toBeLessThanOrEqual(5_000);
      } finally {
        watch.close();
        await store.close();
      }
    });
  });
});
