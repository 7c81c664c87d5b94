import type pg from 'pg';
import type { RecordedEvent } from '../src/event-store/event-store.port.js';

/**
 * A read model built from the global log. Each build of it lives in tables of its own
 * generation; views name the live one, so a rebuild happens beside it and switches atomically.
 */
export interface Projection {
  name: string;
  /** Bump when the tables or the handlers change: the next start rebuilds into a new generation. */
  version: number;
  /** DDL creating one generation's tables. */
  createTables(generation: number): string;
  /** DDL pointing the projection's views at a generation (run inside the switching transaction). */
  activate(generation: number): string;
  dropTables(generation: number): string;
  /**
   * Additive DDL that lets a generation built by an older version take this version's `apply` and
   * queries until the rebuild that the version change triggers replaces it. Idempotent; run before
   * the views are pointed at the generation again.
   */
  upgradeTables?(generation: number, fromVersion: number): string;
  /**
   * Applies events in log order inside the caller's transaction. Applying an event twice
   * changes nothing. Throws PoisonEventError for an event it cannot apply.
   */
  apply(client: pg.ClientBase, events: readonly RecordedEvent[], generation: number): Promise<AppliedChanges>;
  /**
   * Removes what one stream contributed to a generation, inside the caller's transaction, and
   * keeps the projector away from that stream's rows until it commits, so that applying the
   * stream's events again rebuilds them (a replay). Returns how many rows it removed.
   */
  forget?(client: pg.ClientBase, generation: number, streamName: string): Promise<number>;
  /**
   * Removes every row of an erased stream from a generation, inside the caller's transaction,
   * after any batch of that stream's project under way has committed. `apply` skips the events of
   * erased projects (it reads their tombstones under the same locks), so nothing brings them back.
   * Returns how many rows it removed.
   */
  erase?(client: pg.ClientBase, generation: number, streamName: string): Promise<number>;
}

export interface AppliedChanges {
  /** Highest revision now reflected, per stream touched. */
  revisions: Map<string, number>;
}

export class PoisonEventError extends Error {
  override readonly name = 'PoisonEventError';
  constructor(
    readonly event: RecordedEvent,
    reason: string,
  ) {
    super(`${event.streamName}@${event.revision} (${event.type}, position ${event.position}): ${reason}`);
  }
}
