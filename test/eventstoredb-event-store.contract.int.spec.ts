import { EventStoreDbEventStore } from '../src/event-store/eventstoredb/eventstoredb-event-store.js';
import { eventStoreContract } from './event-store.contract.js';
import { EventStoreDbStandIn } from './support/eventstoredb-standin.js';
import { freePort } from './support/ports.js';

/**
 * The contract through the real `@eventstore/db-client`: against the in-process gRPC stand-in,
 * or, when EVENTSTORE_CONNECTION_STRING is set (`npm run test:eventstoredb`), against that server.
 */
const live = process.env.EVENTSTORE_CONNECTION_STRING?.trim() || undefined;

eventStoreContract(live ? 'EventStoreDB (live server)' : 'EventStoreDB (gRPC stand-in)', async () => {
  const standIn = live ? undefined : await EventStoreDbStandIn.start();
  // A real node writes events of its own into $all: the stand-in does too, so they are skipped.
  standIn?.writeSystemEvent();
  const store = EventStoreDbEventStore.fromConnectionString(live ?? standIn!.connectionString, {
    maxConcurrentAppends: 8,
  });
  return {
    store,
    eventIds: 'idempotent',
    erasure: false,
    async cleanup() {
      await store.close();
      await standIn?.stop();
    },
    async unreachable() {
      const unreachable = EventStoreDbEventStore.fromConnectionString(
        `esdb://127.0.0.1:${await freePort()}?tls=false&defaultDeadline=2000`,
      );
      return { store: unreachable, cleanup: () => unreachable.close() };
    },
  };
});
