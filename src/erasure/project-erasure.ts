import type pg from 'pg';
import { eraseFromReadModels, type ReadModelErasure } from '../../projections/index.js';
import { streamNameOf } from '../conversation/conversation-stream.js';
import { type EventStore } from '../event-store/event-store.port.js';
import { ERASED_CHANNEL, type ErasureRequest, writeTombstone } from './tombstones.js';

/** What one erasure removed (an erasure repeated removes nothing). */
export interface ErasureReport {
  projectId: string;
  eventsRemoved: number;
  readModels: ReadModelErasure[];
}

/**
 * Erases a project's conversation: the one path for the HTTP route and the operators' CLI.
 * Each step is idempotent and the order makes a cut-short erasure safe and resumable: the
 * tombstone first (the project refuses writes and reads from then on), then the log (which
 * refuses appends to the stream for good), then every generation of the read model, and last
 * the word to live streams on every instance.
 */
export class ProjectErasure {
  /**
   * `tombstoned` hears of each tombstone as it is written, before the notification that other
   * instances wait for comes back to this one.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly tombstoned: (projectId: string) => void = () => undefined,
  ) {}

  async erase(request: ErasureRequest): Promise<ErasureReport> {
    const streamName = streamNameOf(request.projectId);
    await writeTombstone(this.pool, request);
    this.tombstoned(request.projectId);
    const { eventsRemoved } = await this.store.eraseStream(streamName);
    const readModels = await eraseFromReadModels(this.pool, streamName);
    await this.pool.query('SELECT pg_notify($1, $2)', [ERASED_CHANNEL, request.projectId]);
    return { projectId: request.projectId, eventsRemoved, readModels };
  }
}
