import { streamNameOf } from '../../src/conversation/conversation-stream.js';
import { randomUUID } from 'node:crypto';
import { migrate } from '../../src/database/migrations.js';
import type { ExpectedRevision, NewEvent } from '../../src/event-store/event-store.port.js';
import { EVENT_STORE_MIGRATIONS } from '../../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store.js';
import { loopSummary, maxPerWriter, runWriters } from '../support/stats.js';
import type { Bench, BenchResult } from '../support/types.js';
import { newPool } from '../support/postgres.js';

/** The service's default DATABASE_POOL_SIZE. */
const POOL_SIZE = 20;

export function userMessaged(
  projectId: string,
  content: string,
  createdAt = new Date().toISOString(),
): NewEvent {
  const messageId = randomUUID();
  return {
    id: messageId,
    type: 'UserMessaged',
    data: {
      messageId,
      projectId,
      content,
      imageUrls: [],
      createdBy: null,
      createdAt,
    },
    metadata: { correlationId: messageId, causationId: null, userId: null, schemaVersion: 1 },
  };
}

/**
 * Opens the service's own Postgres event store on a database. `migrate: false` for a database
 * the service has already migrated (under its own migration set name).
 */
export async function openEventStore(
  url: string,
  options: { migrate: boolean },
): Promise<{ store: PostgresEventStore; close(): Promise<void> }> {
  const pool = newPool(url, POOL_SIZE);
  try {
    if (options.migrate) await migrate(pool, [EVENT_STORE_MIGRATIONS]);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const store = new PostgresEventStore(pool);
  return {
    store,
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

export const appendManyPort: Bench = {
  name: 'append-many-port',
  async run(context): Promise<BenchResult[]> {
    const { connections: writers, durationSec } = context.options;
    const { store, close } = await openEventStore(await context.database('append_many_port'), {
      migrate: true,
    });
    try {
      const expected: ExpectedRevision[] = new Array<ExpectedRevision>(writers).fill('no_stream');
      const result = await runWriters(
        writers,
        { durationMs: durationSec * 1000, maxPerWriter: maxPerWriter(durationSec, writers) },
        async (writer) => {
          const projectId = `port-${writer}`;
          const appended = await store.append(
            streamNameOf(projectId),
            [userMessaged(projectId, 'bench message')],
            expected[writer] ?? 'no_stream',
          );
          expected[writer] = appended.nextExpectedRevision;
        },
      );
      return [
        {
          id: 'append-many-port',
          name: `append-many (port) ×${writers}`,
          what: `PostgresEventStore.append, exact expected revisions, ${writers} writers each on its own stream, pool ${POOL_SIZE}`,
          unit: 'appends/s',
          ...loopSummary(result),
        },
      ];
    } finally {
      await close();
    }
  },
};
