import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { CONFIG } from '../config/config.module.js';
import { type Config } from '../config/config.js';

export const PG_POOL = Symbol('PG_POOL');

// bigint columns (revisions, positions) arrive as strings; callers convert them explicitly.
@Global()
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [CONFIG],
      useFactory: (config: Config) => {
        const pool = new pg.Pool({
          connectionString: config.databaseUrl,
          max: config.databasePoolSize,
          connectionTimeoutMillis: 5_000,
          application_name: 'conversation-log',
        });
        // An idle client losing its connection must not crash the process; the pool replaces it.
        pool.on('error', () => undefined);
        return pool;
      },
    },
  ],
  exports: [PG_POOL],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
