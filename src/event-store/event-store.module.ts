import { Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import { CONFIG } from '../config/config.module.js';
import { type Config } from '../config/config.js';
import { PG_POOL } from '../database/database.module.js';
import { migrate } from '../database/migrations.js';
import { EVENT_STORE, type EventStore } from './event-store.port.js';
import { EVENT_STORE_MIGRATIONS } from './postgres/event-store.schema.js';
import { PostgresEventStore } from './postgres/postgres-event-store.js';

@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [PG_POOL, CONFIG],
      useFactory: (pool: pg.Pool, config: Config) =>
        new PostgresEventStore(pool, { maxConcurrentAppends: config.appendConcurrency }),
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
