import { randomUUID } from 'node:crypto';
import { percentile } from '../stats.js';
import type { Bench, BenchResult } from '../types.js';
import { newClient } from '../postgres.js';

/** A read-model row per message, as a projection rebuild writes it. */
const READ_MODEL_SQL = `
CREATE TABLE bench_messages (
  project_id text NOT NULL,
  sequence bigint NOT NULL,
  id uuid NOT NULL UNIQUE,
  role text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL,
  content text NOT NULL,
  image_urls jsonb NOT NULL,
  reply_to uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz,
  created_by text,
  revision bigint NOT NULL,
  PRIMARY KEY (project_id, sequence)
);`;

const INSERT_BATCH = `
INSERT INTO bench_messages
  (project_id, sequence, id, role, kind, status, content, image_urls, reply_to, created_at, created_by, revision)
SELECT project_id, sequence, id, 'user', 'message', 'success', content, '[]'::jsonb, NULL, created_at, NULL, sequence
  FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::timestamptz[])
       AS u(project_id, sequence, id, content, created_at)`;

const BATCH_SIZE = 5_000;
const PROJECTS = 1_000;

/** The ceiling for a read-model rebuild: batched INSERT ... SELECT FROM unnest, one writer. */
export const bulkInsert: Bench = {
  name: 'bulk-insert',
  async run(context): Promise<BenchResult[]> {
    const { bulkRows } = context.options;
    const client = newClient(await context.database('bulk_insert'));
    await client.connect();
    try {
      await client.query(READ_MODEL_SQL);
      const batchMs: number[] = [];
      const started = performance.now();
      for (let offset = 0; offset < bulkRows; offset += BATCH_SIZE) {
        const size = Math.min(BATCH_SIZE, bulkRows - offset);
        const rows = Array.from({ length: size }, (_, i) => offset + i);
        const createdAt = new Date().toISOString();
        const begin = performance.now();
        await client.query(INSERT_BATCH, [
          rows.map((row) => `project-${row % PROJECTS}`),
          rows.map((row) => Math.floor(row / PROJECTS)),
          rows.map(() => randomUUID()),
          rows.map((row) => `bulk message ${row}`),
          rows.map(() => createdAt),
        ]);
        batchMs.push(performance.now() - begin);
      }
      const elapsedSec = (performance.now() - started) / 1000;
      return [
        {
          id: 'bulk-insert',
          name: 'bulk-insert',
          what: `INSERT ... SELECT FROM unnest of read-model rows, batches of ${BATCH_SIZE}, one writer`,
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
