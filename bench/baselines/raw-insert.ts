import { loopSummary, maxPerWriter, runWriters } from '../support/stats.js';
import type { Bench, BenchContext, BenchResult } from '../support/types.js';
import { newClient } from '../support/postgres.js';
import { EVENTS_TABLE_SQL, eventValues, INSERT_EVENT } from './events-table.js';

export const WRITER_COUNTS = [1, 8, 32] as const;

async function measure(context: BenchContext, writers: number): Promise<BenchResult> {
  const url = await context.database(`raw_insert_${writers}`);
  const clients = Array.from({ length: writers }, () => newClient(url));
  try {
    await Promise.all(clients.map((client) => client.connect()));
    await clients[0]?.query(EVENTS_TABLE_SQL);
    const { durationSec } = context.options;
    const result = await runWriters(
      writers,
      { durationMs: durationSec * 1000, maxPerWriter: maxPerWriter(durationSec, writers) },
      async (writer, index) => {
        await clients[writer]?.query({
          ...INSERT_EVENT,
          values: eventValues(`w-${writer}`, index, 'bench message'),
        });
      },
    );
    return {
      id: `raw-insert-${writers}`,
      name: `raw-insert ×${writers}`,
      what: `pg single-row INSERT into an events-shaped table, autocommit, ${writers} writer(s)`,
      unit: 'inserts/s',
      ...loopSummary(result),
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

export const rawInsert: Bench = {
  name: 'raw-insert',
  async run(context) {
    const results: BenchResult[] = [];
    for (const writers of WRITER_COUNTS) results.push(await measure(context, writers));
    return results;
  },
};
