import { APPEND_LOCK_CLASS } from '../../database/advisory-locks.js';
import { type MigrationSet } from '../../database/migrations.js';
import { NOTIFY_PAYLOAD_LIMIT } from '../../database/notify.js';

/** Notified at the commit of each append transaction: the stream names it wrote, one per line, or '*'. */
export const APPENDED_CHANNEL = 'es_appended';

/**
 * Expected-revision sentinels passed to es_append_batch (exact revisions are >= 0).
 */
export const EXPECT_NO_STREAM = -1n;
export const EXPECT_ANY = -2n;
export const EXPECT_STREAM_EXISTS = -3n;

/*
 * Commit-safe global order. A bigserial alone is assigned at insert but visible at commit, so
 * "position > checkpoint" skips a slow transaction's event. Events are instead read in
 * (transaction_id, global_position) order, and only below a horizon: the oldest transaction id
 * of an append still in flight (or, with none, the next transaction id).
 *
 * Appends are found by the advisory lock every es_append_batch takes per stream, in the key
 * class APPEND_LOCK_CLASS, before it writes anything. That lock also makes a stream's revisions
 * agree with the global order: a transaction gets its id at its first write, so whoever wrote the
 * stream before has committed, with a smaller id. Transactions that are not appends (a long
 * report, an idle session) never hold the horizon back.
 */

/**
 * SQLSTATE of es_append_batch's refusal to run in a transaction that has already written
 * (object_not_in_prerequisite_state).
 */
export const APPEND_GUARD_SQLSTATE = '55000';

/**
 * Appends many (stream, expected revision, events) in one transaction.
 *
 * The rule for callers (the adapter keeps it: one autocommit statement per group): call it as the
 * first write of a transaction, and once per transaction. It refuses to run otherwise, since a
 * transaction id assigned before its stream locks would let the global log be read past an
 * event that has yet to commit, and a second call would put a stream's revisions out of order.
 */
const APPEND_FUNCTION = `
-- Appends many (stream, expected revision, events) in one transaction; the streams of one call
-- are distinct. Each append is checked on its own: a failed expectation yields ok = false with
-- the actual revision and does not affect the others. Expected: -1 no stream, -2 any, -3 stream
-- exists, >= 0 exact. Notifies '${APPENDED_CHANNEL}' with the stream names at commit.
CREATE OR REPLACE FUNCTION es_append_batch(
  p_streams text[], p_expected bigint[], p_counts int[],
  p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (ok boolean, revision bigint, global_position bigint, transaction_id xid8)
LANGUAGE plpgsql AS $$
DECLARE
  names text := array_to_string(p_streams, E'\n');
BEGIN
  -- The global order rests on the stream locks below coming before this transaction's id. A
  -- transaction that already wrote (or already appended) has its id: refuse rather than break it.
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'es_append_batch must be the first write of its transaction, and run once in it'
      USING ERRCODE = '${APPEND_GUARD_SQLSTATE}';
  END IF;

  -- In key order, so that two batches never wait for each other's locks; before any write, so
  -- the transaction id comes after every earlier writer of these streams has committed.
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK_CLASS}, x.key)
    FROM (SELECT DISTINCT hashtext(stream) AS key FROM unnest(p_streams) AS stream ORDER BY 1) x;

  RETURN QUERY
  WITH input AS (
    SELECT i.idx, i.stream, i.expected, i.cnt, (sum(i.cnt) OVER (ORDER BY i.idx) - i.cnt)::int AS offs
      FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS i(stream, expected, cnt, idx)
  ), current AS (
    SELECT input.*, coalesce(st.revision, -1) AS actual, st.stream_name IS NOT NULL AS found
      FROM input LEFT JOIN es_streams st ON st.stream_name = input.stream
  ), accepted AS (
    SELECT * FROM current c
     WHERE c.expected = -2 OR (c.expected = -1 AND NOT c.found) OR (c.expected = -3 AND c.found)
        OR (c.expected >= 0 AND c.found AND c.actual = c.expected)
  ), streams AS (
    INSERT INTO es_streams AS st (stream_name, revision)
    SELECT a.stream, a.actual + a.cnt FROM accepted a
        ON CONFLICT (stream_name) DO UPDATE SET revision = excluded.revision
    RETURNING st.stream_name
  ), inserted AS (
    INSERT INTO es_events (stream_name, stream_revision, event_id, event_type, data, metadata)
    SELECT a.stream, a.actual + e.n, p_ids[a.offs + e.n], p_types[a.offs + e.n], p_data[a.offs + e.n],
           p_metadata[a.offs + e.n]
      FROM accepted a CROSS JOIN LATERAL generate_series(1, a.cnt) AS e(n)
     ORDER BY a.idx, e.n
    RETURNING es_events.stream_name, es_events.global_position
  ), positions AS (
    SELECT ins.stream_name, max(ins.global_position) AS last FROM inserted ins GROUP BY ins.stream_name
  )
  SELECT a.idx IS NOT NULL,
         CASE WHEN a.idx IS NULL THEN c.actual ELSE c.actual + c.cnt END,
         p.last,
         CASE WHEN a.idx IS NULL THEN NULL ELSE pg_current_xact_id() END
    FROM current c
    LEFT JOIN accepted a ON a.idx = c.idx
    LEFT JOIN positions p ON p.stream_name = c.stream
   ORDER BY c.idx;

  PERFORM pg_notify('${APPENDED_CHANNEL}', CASE WHEN length(names) < ${NOTIFY_PAYLOAD_LIMIT} THEN names ELSE '*' END);
END;
$$;
`;

const ERASING_APPEND_FUNCTION = `
-- Appends many (stream, expected revision, events) in one transaction; the streams of one call
-- are distinct. Each append is checked on its own: a failed expectation yields ok = false with
-- the actual revision and does not affect the others; an append to an erased stream yields
-- ok = false and erased = true. Expected: -1 no stream, -2 any, -3 stream
-- exists, >= 0 exact. Notifies '${APPENDED_CHANNEL}' with the stream names at commit.
CREATE OR REPLACE FUNCTION es_append_batch(
  p_streams text[], p_expected bigint[], p_counts int[],
  p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (ok boolean, revision bigint, global_position bigint, transaction_id xid8, erased boolean)
LANGUAGE plpgsql AS $$
DECLARE
  names text := array_to_string(p_streams, E'\n');
BEGIN
  -- The global order rests on the stream locks below coming before this transaction's id. A
  -- transaction that already wrote (or already appended) has its id: refuse rather than break it.
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'es_append_batch must be the first write of its transaction, and run once in it'
      USING ERRCODE = '${APPEND_GUARD_SQLSTATE}';
  END IF;

  -- In key order, so that two batches never wait for each other's locks; before any write, so
  -- the transaction id comes after every earlier writer of these streams has committed. An
  -- erasure takes the same lock: the statements below see it once it has committed.
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK_CLASS}, x.key)
    FROM (SELECT DISTINCT hashtext(stream) AS key FROM unnest(p_streams) AS stream ORDER BY 1) x;

  RETURN QUERY
  WITH input AS (
    SELECT i.idx, i.stream, i.expected, i.cnt, (sum(i.cnt) OVER (ORDER BY i.idx) - i.cnt)::int AS offs
      FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS i(stream, expected, cnt, idx)
  ), current AS (
    SELECT input.*, coalesce(st.revision, -1) AS actual, st.stream_name IS NOT NULL AS found,
           EXISTS (SELECT 1 FROM es_erased_streams er WHERE er.stream_name = input.stream) AS erased
      FROM input LEFT JOIN es_streams st ON st.stream_name = input.stream
  ), accepted AS (
    SELECT * FROM current c
     WHERE NOT c.erased AND (c.expected = -2 OR (c.expected = -1 AND NOT c.found) OR (c.expected = -3 AND c.found)
        OR (c.expected >= 0 AND c.found AND c.actual = c.expected))
  ), streams AS (
    INSERT INTO es_streams AS st (stream_name, revision)
    SELECT a.stream, a.actual + a.cnt FROM accepted a
        ON CONFLICT (stream_name) DO UPDATE SET revision = excluded.revision
    RETURNING st.stream_name
  ), inserted AS (
    INSERT INTO es_events (stream_name, stream_revision, event_id, event_type, data, metadata)
    SELECT a.stream, a.actual + e.n, p_ids[a.offs + e.n], p_types[a.offs + e.n], p_data[a.offs + e.n],
           p_metadata[a.offs + e.n]
      FROM accepted a CROSS JOIN LATERAL generate_series(1, a.cnt) AS e(n)
     ORDER BY a.idx, e.n
    RETURNING es_events.stream_name, es_events.global_position
  ), positions AS (
    SELECT ins.stream_name, max(ins.global_position) AS last FROM inserted ins GROUP BY ins.stream_name
  )
  SELECT a.idx IS NOT NULL,
         CASE WHEN a.idx IS NULL THEN c.actual ELSE c.actual + c.cnt END,
         p.last,
         CASE WHEN a.idx IS NULL THEN NULL ELSE pg_current_xact_id() END,
         c.erased
    FROM current c
    LEFT JOIN accepted a ON a.idx = c.idx
    LEFT JOIN positions p ON p.stream_name = c.stream
   ORDER BY c.idx;

  PERFORM pg_notify('${APPENDED_CHANNEL}', CASE WHEN length(names) < ${NOTIFY_PAYLOAD_LIMIT} THEN names ELSE '*' END);
END;
$$;
`;

/**
 * Erases a stream in one transaction: records it as erased, then deletes its events and its
 * revision. It takes the stream's append lock first, so an append under way commits before it
 * (and is erased with the rest), and one waiting for the lock finds the stream erased. Deleted
 * rows leave a gap in the global log, which readers pass over: the horizon is found from the
 * locks of appends in flight, never from gaps.
 */
const ERASE_FUNCTION = `
CREATE FUNCTION es_erase_stream(p_stream text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  removed bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK_CLASS}, hashtext(p_stream));
  INSERT INTO es_erased_streams (stream_name) VALUES (p_stream) ON CONFLICT DO NOTHING;
  DELETE FROM es_events WHERE stream_name = p_stream;
  GET DIAGNOSTICS removed = ROW_COUNT;
  DELETE FROM es_streams WHERE stream_name = p_stream;
  RETURN removed;
END;
$$;
`;

export const EVENT_STORE_MIGRATIONS: MigrationSet = {
  name: 'event-store',
  migrations: [
    {
      id: 1,
      name: 'event store',
      sql: `
CREATE TABLE es_streams (
  stream_name text PRIMARY KEY,
  revision bigint NOT NULL
);

CREATE TABLE es_events (
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_name text NOT NULL,
  stream_revision bigint NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_name, stream_revision),
  CONSTRAINT es_events_event_id_key UNIQUE (event_id)
);

CREATE INDEX es_events_global_order ON es_events (transaction_id, global_position);

${APPEND_FUNCTION}`,
    },
    {
      id: 2,
      name: 'es_append_batch refuses to run after another write of its transaction, or twice in one',
      sql: APPEND_FUNCTION,
    },
    {
      id: 3,
      name: 'erased streams: es_erase_stream, and es_append_batch refuses them',
      sql: `
CREATE TABLE es_erased_streams (
  stream_name text PRIMARY KEY,
  erased_at timestamptz NOT NULL DEFAULT now()
);
DROP FUNCTION es_append_batch(text[], bigint[], int[], uuid[], text[], jsonb[], jsonb[]);
${ERASING_APPEND_FUNCTION}
${ERASE_FUNCTION}`,
    },
  ],
};
