import { randomUUID } from 'node:crypto';
import { loopSummary, runWriters } from '../support/stats.js';
import type { Bench, BenchResult } from '../support/types.js';
import { newClient } from '../support/postgres.js';

/** The legacy messages table that the rejected proposal added a sequence column to. */
const LEGACY_TABLE_SQL = `
CREATE TABLE legacy_messages (
  id uuid PRIMARY KEY,
  project_id text NOT NULL,
  sequence integer NOT NULL,
  role text NOT NULL,
  content text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX legacy_messages_project_sequence ON legacy_messages (project_id, sequence);`;

const PROJECT = 'seed-naive-project';

/**
 * The legacy proposal: read max(sequence) + 1, then INSERT, each statement on its own (no
 * transaction, no lock), many writers into one project. Count-bounded: writers × messages.
 */
export const seedNaive: Bench = {
  name: 'seed-naive',
  async run(context): Promise<BenchResult[]> {
    const { naiveWriters, naiveMessages } = context.options;
    const url = await context.database('seed_naive');
    const clients = Array.from({ length: naiveWriters }, () => newClient(url));
    const [first] = clients;
    if (!first) throw new Error('seed-naive needs at least one writer');
    try {
      await Promise.all(clients.map((client) => client.connect()));
      await first.query(LEGACY_TABLE_SQL);
      const result = await runWriters(
        naiveWriters,
        { durationMs: 120_000, maxPerWriter: naiveMessages },
        async (writer, index) => {
          const client = clients[writer];
          if (!client) throw new Error(`no client for writer ${writer}`);
          const { rows } = await client.query<{ next: number }>(
            'SELECT coalesce(max(sequence), 0) + 1 AS next FROM legacy_messages WHERE project_id = $1',
            [PROJECT],
          );
          await client.query(
            'INSERT INTO legacy_messages (id, project_id, sequence, role, content) VALUES ($1, $2, $3, $4, $5)',
            [randomUUID(), PROJECT, rows[0]?.next ?? 1, 'user', `writer ${writer} message ${index}`],
          );
        },
      );
      const { rows } = await first.query<{ total: number; distinct: number }>(
        `SELECT count(*)::int AS total, count(DISTINCT sequence)::int AS distinct
           FROM legacy_messages WHERE project_id = $1`,
        [PROJECT],
      );
      const total = rows[0]?.total ?? 0;
      const distinct = rows[0]?.distinct ?? 0;
      const summary = loopSummary(result);
      return [
        {
          id: 'seed-naive',
          name: 'seed-naive',
          what: `SELECT max(sequence)+1 then INSERT, ${naiveWriters} writers × ${naiveMessages} messages, one project`,
          unit: 'inserts/s',
          ...summary,
          extra: { ...summary.extra, rows: total, distinctSequences: distinct, duplicates: total - distinct },
        },
      ];
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    }
  },
};
