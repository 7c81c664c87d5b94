import { type Migration } from '../../database/migrations.js';

/**
 * Expected-revision sentinels passed to es_append_batch (exact revisions are >= 0).
 */
export const EXPECT_NO_STREAM = -1n;
export const EXPECT_ANY = -2n;
export const EXPECT_STREAM_EXISTS = -3n;

/**
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
export const APPEND_LOCK_CLASS = 7_401_326;

export const eventStoreMigrations: Migration[] = [
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

-- Appends many (stream, expected revision, events) in one transaction, notifying 'es_appended'
-- with each stream name at commit. Each append is checked
-- on its own: a failed expectation yields ok = false with the actual revision and does not
-- affect the others. Expected: -1 no stream, -2 any, -3 stream exists, >= 0 exact.
CREATE FUNCTION es_append_batch(
  p_streams text[], p_expected bigint[], p_counts int[],
  p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (ok boolean, revision bigint, global_position bigint, transaction_id xid8)
LANGUAGE plpgsql AS $$
DECLARE
  i int;
  n int := coalesce(array_length(p_streams, 1), 0);
  s text;
  c int;
  e bigint;
  off int := 0;
  new_rev bigint;
  actual bigint;
  last_pos bigint;
BEGIN
  -- In key order, so that two batches never wait for each other's locks.
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK_CLASS}, x.key)
    FROM (SELECT DISTINCT hashtext(unnest(p_streams)) AS key ORDER BY 1) x;

  FOR i IN 1..n LOOP
    s := p_streams[i];
    c := p_counts[i];
    e := p_expected[i];
    new_rev := NULL;

    IF e = -1 THEN
      INSERT INTO es_streams (stream_name, revision) VALUES (s, c - 1)
        ON CONFLICT (stream_name) DO NOTHING
        RETURNING es_streams.revision INTO new_rev;
    ELSIF e = -2 THEN
      INSERT INTO es_streams AS st (stream_name, revision) VALUES (s, c - 1)
        ON CONFLICT (stream_name) DO UPDATE SET revision = st.revision + c
        RETURNING st.revision INTO new_rev;
    ELSE
      UPDATE es_streams st SET revision = st.revision + c
        WHERE st.stream_name = s AND (e = -3 OR st.revision = e)
        RETURNING st.revision INTO new_rev;
    END IF;

    IF new_rev IS NULL THEN
      SELECT st.revision INTO actual FROM es_streams st WHERE st.stream_name = s;
      ok := false; revision := coalesce(actual, -1); global_position := NULL; transaction_id := NULL;
      RETURN NEXT;
    ELSE
      WITH inserted AS (
        INSERT INTO es_events (stream_name, stream_revision, event_id, event_type, data, metadata)
        SELECT s, new_rev - c + u.ord, u.id, u.type, u.data, u.metadata
          FROM unnest(p_ids[off + 1 : off + c], p_types[off + 1 : off + c],
                      p_data[off + 1 : off + c], p_metadata[off + 1 : off + c])
               WITH ORDINALITY AS u(id, type, data, metadata, ord)
         ORDER BY u.ord
        RETURNING es_events.global_position
      )
      SELECT max(inserted.global_position) INTO last_pos FROM inserted;
      ok := true; revision := new_rev; global_position := last_pos; transaction_id := pg_current_xact_id();
      PERFORM pg_notify('es_appended', s);
      RETURN NEXT;
    END IF;
    off := off + c;
  END LOOP;
END;
$$;
`,
  },
];
