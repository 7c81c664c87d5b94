import type pg from 'pg';
import {
  type AppendResult,
  type AppendsListener,
  type AppendWatch,
  DuplicateEventIdError,
  type EraseResult,
  type EventMetadata,
  type EventStore,
  EventStoreUnavailableError,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  StreamErasedError,
  WrongExpectedVersionError,
} from '../event-store.port.js';
import { APPEND_LOCK_CLASS } from '../../database/advisory-locks.js';
import { isConnectionFailure, retryOnConflict } from '../../database/pg-errors.js';
import { AppendBatcher, type PendingAppend } from './append-batcher.js';
import { type NotificationSource, PoolListener } from '../../database/pool-listener.js';
import {
  APPENDED_CHANNEL,
  EXPECT_ANY,
  EXPECT_NO_STREAM,
  EXPECT_STREAM_EXISTS,
} from './event-store.schema.js';
import { assertValidExpectedRevision, checkExpectedRevision } from '../expected-revision.js';

interface EventRow {
  global_position: string;
  transaction_id: string;
  stream_name: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: EventMetadata;
  created_at: Date;
}

interface AppendRow {
  ok: boolean;
  revision: string;
  global_position: string | null;
  transaction_id: string | null;
  erased: boolean;
}

const EVENT_COLUMNS =
  'global_position, transaction_id, stream_name, stream_revision, event_id, event_type, data, metadata, created_at';

const START = { transactionId: '0', globalPosition: '0' };

/**
 * A page of the global log after a position, below the horizon: the oldest append this statement's
 * snapshot cannot see the end of. One statement, so the events and the horizon share a snapshot S
 * (pg_current_snapshot), with the locks read once (pg_locks, at one instant T after S):
 *
 * - a transaction id S has not seen assigned (xmax and above): the horizon is at most xmax;
 * - one in progress at S (xip) and still running at T: an append holds its append locks from before
 *   its id was assigned until it ends (es_append_batch takes them before it writes), so it holds the
 *   horizon if it holds one; a running transaction without one never appends (it has written
 *   already), and does not;
 * - one in progress at S that ended before T: its events, if any, are invisible to S yet committed,
 *   so it holds the horizon for this read (the next one's snapshot sees it ended).
 *
 * Every append below the horizon ended before S, so its events are visible as they will stay: a
 * commit-time gap is never skipped, and a long transaction that appends nothing never holds the log
 * back.
 */
export const READ_ALL_SQL = `
  WITH locks AS MATERIALIZED (
    SELECT locktype, classid, objsubid, database, virtualtransaction, transactionid
      FROM pg_locks
     WHERE granted AND (locktype = 'advisory' OR (locktype = 'transactionid' AND mode = 'ExclusiveLock'))
  ), running AS (
    SELECT transactionid, virtualtransaction FROM locks WHERE locktype = 'transactionid'
  ), appending AS (
    SELECT own.transactionid
      FROM locks append JOIN running own USING (virtualtransaction)
     WHERE append.locktype = 'advisory' AND append.classid = $4 AND append.objsubid = 2
       AND append.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  ), horizon AS (
    SELECT least(
             pg_snapshot_xmax(pg_current_snapshot()),
             -- ORDER BY, not min(): xid8 has no min() before PostgreSQL 15.
             (SELECT xid FROM pg_snapshot_xip(pg_current_snapshot()) AS xid
               WHERE xid::xid NOT IN (SELECT transactionid FROM running)
                  OR xid::xid IN (SELECT transactionid FROM appending)
               ORDER BY xid LIMIT 1)
           ) AS below
  )
  SELECT ${EVENT_COLUMNS} FROM es_events
   WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
     AND transaction_id < (SELECT below FROM horizon)
   ORDER BY transaction_id, global_position LIMIT $3`;

export interface PostgresEventStoreOptions {
  /** Concurrent append transactions; appends arriving meanwhile are combined into the next one. */
  maxConcurrentAppends?: number;
  maxBatchSize?: number;
  /**
   * Delivers the `es_appended` notifications for watchAppends: the service passes its one LISTEN
   * connection (NotificationHub). Without it the adapter LISTENs on a connection of its pool.
   */
  notifications?: NotificationSource;
}

/**
 * PostgreSQL adapter. Concurrent appends (to any streams) are combined into one transaction
 * and one commit, each keeping its own expected-revision check (see es_append_batch). An append
 * that PostgreSQL refuses fails alone: the others of its group are committed without it.
 */
export class PostgresEventStore implements EventStore {
  private readonly batcher: AppendBatcher;
  private readonly notifications: NotificationSource | undefined;
  private ownListener: PoolListener | undefined;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresEventStoreOptions = {},
  ) {
    this.notifications = options.notifications;
    this.batcher = new AppendBatcher((batch) => this.flush(batch), {
      maxInFlight: options.maxConcurrentAppends ?? 1,
      maxBatchSize: options.maxBatchSize ?? 256,
    });
  }

  async append(
    streamName: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0)
      return checkExpectedRevision(
        this,
        streamName,
        expected,
        formatPosition(START.transactionId, START.globalPosition),
      );
    return this.batcher.enqueue({ streamName, events, expected });
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = options.maxCount ?? 2 ** 31 - 1;
    const from = options.fromRevision ?? (backwards ? BigInt(Number.MAX_SAFE_INTEGER) : 0n);
    const { rows } = await this.query<EventRow>({
      name: backwards ? 'es_read_stream_backwards' : 'es_read_stream_forwards',
      text: `SELECT ${EVENT_COLUMNS} FROM es_events
              WHERE stream_name = $1 AND stream_revision ${backwards ? '<=' : '>='} $2
              ORDER BY stream_revision ${backwards ? 'DESC' : 'ASC'} LIMIT $3`,
      values: [streamName, from.toString(), limit],
    });
    return rows.map(toRecordedEvent);
  }

  async streamRevision(streamName: string): Promise<bigint> {
    const { rows } = await this.query<{ revision: string }>({
      name: 'es_stream_revision',
      text: 'SELECT revision FROM es_streams WHERE stream_name = $1',
      values: [streamName],
    });
    return rows[0] ? BigInt(rows[0].revision) : -1n;
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const after = options.after === undefined ? START : parsePosition(options.after);
    const { rows } = await this.query<EventRow>({
      name: 'es_read_all_below_horizon',
      text: READ_ALL_SQL,
      values: [after.transactionId, after.globalPosition, options.maxCount ?? 1000, APPEND_LOCK_CLASS],
    });
    const events = rows.map(toRecordedEvent);
    return { events, checkpoint: events.at(-1)?.position ?? options.after };
  }

  async countAfter(position: string | undefined, cap: number): Promise<number> {
    const after = position === undefined ? START : parsePosition(position);
    const { rows } = await this.query<{ count: string }>({
      name: 'es_count_after',
      text: `SELECT count(*) AS count FROM (
               SELECT 1 FROM es_events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) LIMIT $3) x`,
      values: [after.transactionId, after.globalPosition, cap],
    });
    return Number(rows[0]?.count ?? 0);
  }

  /** See es_erase_stream: one statement, so the erasure commits whole or not at all. */
  async eraseStream(streamName: string): Promise<EraseResult> {
    const { rows } = await this.query<{ removed: string }>({
      name: 'es_erase_stream',
      text: 'SELECT es_erase_stream($1) AS removed',
      values: [streamName],
    });
    return { eventsRemoved: Number(rows[0]?.removed ?? 0) };
  }

  /** Woken by `es_appended`, which es_append_batch sends at commit with the stream names. */
  watchAppends(onAppended: AppendsListener): AppendWatch {
    const source = this.notifications ?? (this.ownListener ??= new PoolListener(this.pool));
    let open = true;
    const off = source.on(APPENDED_CHANNEL, (payload) => {
      if (open) onAppended(payload === '*' ? '*' : payload.split('\n').filter((name) => name !== ''));
    });
    return {
      close: () => {
        open = false;
        off();
      },
    };
  }

  async ping(): Promise<void> {
    await this.query({ name: 'es_ping', text: 'SELECT 1 FROM es_events LIMIT 1' });
  }

  async close(): Promise<void> {
    await this.batcher.drain();
    await this.ownListener?.close();
  }

  private async flush(batch: PendingAppend[]): Promise<void> {
    const group: EncodedAppend[] = [];
    for (const item of batch) {
      try {
        group.push(encode(item));
      } catch (error) {
        item.reject(error); // data that cannot be sent at all fails its own append only
      }
    }
    if (group.length > 0) await this.flushGroup(group);
  }

  /**
   * Appends a group in one transaction. A connection failure is every append's fate: nothing
   * was sent (no connection) or the outcome is unknown (it dropped under the statement). Any
   * other failure is the fault of some append in the group (data PostgreSQL refuses, an event id
   * already stored): the group is split in halves and each half tried again, until the appends
   * at fault are alone; only they fail, and the others commit.
   */
  private async flushGroup(group: EncodedAppend[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      const failure = isConnectionFailure(error)
        ? new EventStoreUnavailableError('event store unreachable; nothing was appended', {
            cause: error,
            operation: 'append',
          })
        : error;
      for (const { item } of group) item.reject(failure);
      return;
    }
    let rows: AppendRow[];
    try {
      rows = await retryOnConflict(() => appendStatement(client, group));
    } catch (error) {
      if (isConnectionFailure(error)) {
        client.release(true);
        const unknown = new EventStoreUnavailableError(
          'the event store connection dropped during an append',
          {
            cause: error,
            operation: 'append',
            outcomeUnknown: true,
          },
        );
        for (const { item } of group) item.reject(unknown);
        return;
      }
      client.release();
      if (group.length > 1) {
        const half = Math.ceil(group.length / 2);
        await Promise.all([this.flushGroup(group.slice(0, half)), this.flushGroup(group.slice(half))]);
        return;
      }
      const [{ item }] = group as [EncodedAppend];
      item.reject(
        isUniqueViolation(error, 'es_events_event_id_key')
          ? new DuplicateEventIdError(item.events.map((event) => event.id))
          : error,
      );
      return;
    }
    client.release();
    group.forEach(({ item }, index) => {
      const row = rows[index];
      if (!row) {
        item.reject(new Error(`es_append_batch returned no row for append ${index} of ${group.length}`));
      } else if (row.ok && row.global_position !== null && row.transaction_id !== null) {
        item.resolve({
          nextExpectedRevision: BigInt(row.revision),
          position: formatPosition(row.transaction_id, row.global_position),
        });
      } else if (row.erased) {
        item.reject(new StreamErasedError(item.streamName));
      } else {
        item.reject(new WrongExpectedVersionError(item.streamName, item.expected, BigInt(row.revision)));
      }
    });
  }

  /**
   * Reads retry a serialization failure or deadlock; a connection failure becomes the port's
   * "unavailable"; anything else is thrown as it is (a bug).
   */
  private async query<Row extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<Row>> {
    try {
      return await retryOnConflict(() => this.pool.query<Row>(config));
    } catch (error) {
      if (!isConnectionFailure(error)) throw error;
      throw new EventStoreUnavailableError('event store unreachable', { cause: error, operation: 'read' });
    }
  }
}

interface EncodedAppend {
  item: PendingAppend;
  expected: string;
  data: string[];
  metadata: string[];
}

function encode(item: PendingAppend): EncodedAppend {
  return {
    item,
    expected: encodeExpected(item.expected).toString(),
    data: item.events.map((event) => JSON.stringify(event.data)),
    metadata: item.events.map((event) => JSON.stringify(event.metadata)),
  };
}

async function appendStatement(client: pg.PoolClient, group: EncodedAppend[]): Promise<AppendRow[]> {
  const events = group.flatMap(({ item }) => item.events);
  const { rows } = await client.query<AppendRow>({
    name: 'es_append_batch',
    text: 'SELECT * FROM es_append_batch($1, $2, $3, $4, $5, $6::jsonb[], $7::jsonb[])',
    values: [
      group.map(({ item }) => item.streamName),
      group.map(({ expected }) => expected),
      group.map(({ item }) => item.events.length),
      events.map((event) => event.id),
      events.map((event) => event.type),
      group.flatMap(({ data }) => data),
      group.flatMap(({ metadata }) => metadata),
    ],
  });
  return rows;
}

function encodeExpected(expected: ExpectedRevision): bigint {
  switch (expected) {
    case 'any':
      return EXPECT_ANY;
    case 'no_stream':
      return EXPECT_NO_STREAM;
    case 'stream_exists':
      return EXPECT_STREAM_EXISTS;
    default:
      assertValidExpectedRevision(expected);
      return expected;
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamName: row.stream_name,
    revision: BigInt(row.stream_revision),
    type: row.event_type,
    data: row.data,
    metadata: row.metadata,
    createdAt: row.created_at,
    position: formatPosition(row.transaction_id, row.global_position),
  };
}

/** Positions are "<transaction id>-<global position>", compared as that pair. */
function formatPosition(transactionId: string, globalPosition: string): string {
  return `${transactionId}-${globalPosition}`;
}

function parsePosition(position: string): { transactionId: string; globalPosition: string } {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(position);
  if (!match?.[1] || !match[2]) throw new RangeError(`Not a position of this event store: ${position}`);
  return { transactionId: match[1], globalPosition: match[2] };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pgError = error as { code?: string; constraint?: string };
  return pgError.code === '23505' && pgError.constraint === constraint;
}
