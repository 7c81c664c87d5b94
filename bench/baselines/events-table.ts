/** The table raw-insert and http-raw-insert write to, and their one statement. */
import { randomUUID } from 'node:crypto';

/** Shaped like the event store's table: same keys, same indexes, same jsonb columns. */
export const EVENTS_TABLE_SQL = `
CREATE TABLE bench_events (
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_name text NOT NULL,
  stream_revision bigint NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  event_type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_name, stream_revision)
);
CREATE INDEX bench_events_global_order ON bench_events (transaction_id, global_position);`;

export const INSERT_EVENT = {
  name: 'bench_insert_event',
  text: `INSERT INTO bench_events (stream_name, stream_revision, event_id, event_type, data, metadata)
         VALUES ($1, $2, $3, 'UserMessaged', $4, $5)`,
};

/** Values for INSERT_EVENT: one user message at `revision` of `stream`. */
export function eventValues(stream: string, revision: number, content: string): unknown[] {
  const id = randomUUID();
  const createdAt = new Date().toISOString();
  const data = { messageId: id, projectId: stream, content, imageUrls: [], createdBy: null, createdAt };
  const metadata = { correlationId: id, causationId: null, userId: null, schemaVersion: 1 };
  return [stream, revision, id, JSON.stringify(data), JSON.stringify(metadata)];
}
