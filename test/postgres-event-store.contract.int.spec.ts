import pg from 'pg';
import { migrate } from '../src/database/migrations.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { type DelayedAppend, eventStoreContract } from './event-store.contract.js';
import { createTestDatabase } from './support/database.js';
import { freePort } from './support/ports.js';

eventStoreContract('PostgreSQL', async () => {
  const pool = new pg.Pool({ connectionString: await createTestDatabase('contract'), max: 40 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS]);
  const store = new PostgresEventStore(pool);
  return {
    store,
    delayedAppend(streamName, events): DelayedAppend {
      const client = pool.connect();
      const written = client.then(async (c) => {
        await c.query('BEGIN');
        await c.query('SELECT * FROM es_append_batch($1, $2, $3, $4, $5, $6::jsonb[], $7::jsonb[])', [
          [streamName],
          ['-2'],
          [events.length],
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(e.metadata)),
        ]);
      });
      return {
        written,
        async commit() {
          const c = await client;
          await c.query('COMMIT');
          c.release();
        },
      };
    },
    delayedErase(streamName): DelayedAppend {
      const client = pool.connect();
      const written = client.then(async (c) => {
        await c.query('BEGIN');
        await c.query('SELECT es_erase_stream($1)', [streamName]);
      });
      return {
        written,
        async commit() {
          const c = await client;
          await c.query('COMMIT');
          c.release();
        },
      };
    },
    async unrelatedTransaction() {
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query('CREATE TEMPORARY TABLE unrelated_work (n int)');
      await client.query('INSERT INTO unrelated_work VALUES (1)');
      return async () => {
        await client.query('ROLLBACK');
        client.release();
      };
    },
    async cleanup() {
      await store.close();
      await pool.end();
    },
    async unreachable() {
      const nowhere = new pg.Pool({
        connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`,
        connectionTimeoutMillis: 2_000,
      });
      const unreachable = new PostgresEventStore(nowhere);
      return {
        store: unreachable,
        async cleanup() {
          await unreachable.close();
          await nowhere.end();
        },
      };
    },
  };
});
