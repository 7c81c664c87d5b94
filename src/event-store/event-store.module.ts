import { Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG } from '../config/config.module.js';
import { type Config } from '../config/config.js';
import { PG_POOL } from '../database/database.module.js';
import { migrate } from '../database/migrations.js';
import { CONVERSATION_STREAM_PREFIX } from '../conversation/conversation-stream.js';
import { EVENT_STORE, type EventStore } from './event-store.port.js';
import { EVENT_STORE_MIGRATIONS } from './postgres/event-store.schema.js';
import { PostgresEventStore } from './postgres/postgres-event-store.js';
import { type NotificationSource } from '../database/pool-listener.js';
import { NotificationHub } from '../read/notifications/notification-hub.js';
import { NotificationsModule } from '../read/notifications/notifications.module.js';

@Global()
@Module({
  imports: [NotificationsModule],
  providers: [
    {
      provide: EVENT_STORE,
      inject: [PG_POOL, CONFIG, NotificationHub],
      useFactory: (pool: pg.Pool, config: Config, hub: NotificationHub): Promise<EventStore> =>
        createEventStore(pool, config, hub),
    },
  ],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrate(this.pool, [EVENT_STORE_MIGRATIONS]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * The adapter EVENT_STORE selects. On PostgreSQL, `notifications` (the service's one LISTEN
 * connection) wakes watchAppends; without it the adapter listens on a connection of its own. APPEND_CONCURRENCY bounds the appends in flight on both: on
 * PostgreSQL, group-commit transactions; on EventStoreDB, appends to different streams. The
 * EventStoreDB client (gRPC and its protocol definitions, megabytes of code) is loaded only when
 * it is the one selected.
 */
export async function createEventStore(
  pool: pg.Pool,
  config: Config,
  notifications?: NotificationSource,
): Promise<EventStore> {
  if (config.eventStore === 'eventstoredb') {
    if (!config.eventStoreConnectionString) throw new Error('EVENTSTORE_CONNECTION_STRING is not set');
    const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store.js');
    return EventStoreDbEventStore.fromConnectionString(config.eventStoreConnectionString, {
      maxConcurrentAppends: config.appendConcurrency,
      connection: config.eventStoreConnectionOptions,
      streamPrefix: CONVERSATION_STREAM_PREFIX,
    });
  }
  return new PostgresEventStore(pool, { maxConcurrentAppends: config.appendConcurrency, notifications });
}
