import { randomUUID } from 'node:crypto';
import { insertMessages, messagesProjection } from '../../projections/messages/messages.projection.js';
import { percentile } from '../support/stats.js';
import type { Bench, BenchResult } from '../support/types.js';
import { newClient } from '../support/postgres.js';

type Row = Parameters<typeof insertMessages>[2][number];

/** A generation of its own: the projection's tables and its insert, with nothing else in the way. */
const GENERATION = 1;
const BATCH_SIZE = 5_000;
const PROJECTS = 1_000;

/** The ceiling for a read-model rebuild: the messages projection's own batched insert, one writer. */
export const bulkInsert: Bench = {
  name: 'bulk-insert',
  async run(context): Promise<BenchResult[]> {
    const { bulkRows } = context.options;
    const client = newClient(await context.database('bulk_insert'));
    await client.connect();
    try {
      await client.query(messagesProjection.createTables(GENERATION));
      const batchMs: number[] = [];
      const started = performance.now();
      for (let offset = 0; offset < bulkRows; offset += BATCH_SIZE) {
        const size = Math.min(BATCH_SIZE, bulkRows - offset);
        const createdAt = new Date().toISOString();
        const rows = Array.from({ length: size }, (_, i) => row(offset + i, createdAt));
        const begin = performance.now();
        await insertMessages(client, GENERATION, rows);
        batchMs.push(performance.now() - begin);
      }
      const elapsedSec = (performance.now() - started) / 1000;
      return [
        {
          id: 'bulk-insert',
          name: 'bulk-insert',
          what: `the messages projection's INSERT ... SELECT FROM jsonb_to_recordset of read-model rows, batches of ${BATCH_SIZE}, one writer`,
          unit: 'rows/s',
          rate: bulkRows / elapsedSec,
          p50Ms: percentile(batchMs, 50),
          p99Ms: percentile(batchMs, 99),
          extra: { rows: bulkRows, batches: batchMs.length, latency: 'per batch' },
        },
      ];
    } finally {
      await client.end();
    }
  },
};

function row(n: number, createdAt: string): Row {
  const sequence = Math.floor(n / PROJECTS);
  return {
    id: randomUUID(),
    projectId: `project-${n % PROJECTS}`,
    sequence,
    role: 'user',
    metadata: {},
    kind: 'message',
    status: 'success',
    content: `bulk message ${n}`,
    imageUrls: [],
    replyTo: null,
    createdAt,
    updatedAt: null,
    createdBy: null,
    revision: sequence,
  };
}
