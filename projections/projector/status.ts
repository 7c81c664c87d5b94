import type pg from 'pg';
import type { EventStore } from '../../src/event-store/event-store.port.js';
import { type Projection } from '../projection.js';
import { type Generation, loadGenerations } from './generations.js';
import { PROJECTOR_LOCK_CLASS } from '../../src/database/advisory-locks.js';

export interface ProjectionStatus {
  name: string;
  version: number;
  /** The build queries are served from now (null only before the first one exists). */
  generation: number | null;
  status: 'running' | 'rebuilding' | 'stopped' | 'failed';
  position: string | null;
  lag: number;
  /** Events the generation queries are served from has applied since it was built (0 before one exists). */
  eventsApplied: number;
  lastError: string | null;
  updatedAt: string | null;
  /** The build under way (status "rebuilding"), or null. */
  rebuild: {
    generation: number;
    version: number;
    position: string | null;
    eventsApplied: number;
    lag: number;
    /**
     * Since when the build, caught up, has been waiting to switch over: transactions hold the
     * read model's views, and the switch is retried until they end (null while it is not waiting).
     */
    switchWaitingSince: string | null;
  } | null;
}

/** Lag is counted up to here: beyond it the figure only says "very far behind". */
export const LAG_CAP = 10_000_000;

/** Where a projection stands, from the database alone: the service and the CLI both report this. */
export async function projectionStatus(
  db: pg.Pool | pg.ClientBase,
  store: EventStore,
  projection: Projection,
): Promise<ProjectionStatus> {
  const generations = await loadGenerations(db, projection.name);
  const live = generations.find((g) => g.state === 'live');
  const building = generations.find((g) => g.state === 'building');
  return {
    name: projection.name,
    version: live?.version ?? projection.version,
    generation: live?.generation ?? null,
    status: statusOf(generations, await hasActiveProjector(db, projection.name)),
    position: live?.position ?? null,
    lag: await store.countAfter(live?.position ?? undefined, LAG_CAP),
    eventsApplied: live?.eventsApplied ?? 0,
    lastError: live?.lastError ?? building?.lastError ?? null,
    updatedAt: (live ?? building)?.updatedAt.toISOString() ?? null,
    rebuild: building
      ? {
          generation: building.generation,
          version: building.version,
          position: building.position,
          eventsApplied: building.eventsApplied,
          lag: await store.countAfter(building.position ?? undefined, LAG_CAP),
          switchWaitingSince: building.switchWaitingSince?.toISOString() ?? null,
        }
      : null,
  };
}

/** What readiness asks of a projection: its status, and its live generation's lag counted up to `lagCap`. */
export interface ProjectionHealth {
  name: string;
  status: ProjectionStatus['status'];
  lag: number;
}

/** The status and a lag counted no further than needed: cheap enough for a readiness check. */
export async function projectionHealth(
  db: pg.Pool | pg.ClientBase,
  store: EventStore,
  projection: Projection,
  lagCap: number,
): Promise<ProjectionHealth> {
  const generations = await loadGenerations(db, projection.name);
  const live = generations.find((g) => g.state === 'live');
  return {
    name: projection.name,
    status: statusOf(generations, await hasActiveProjector(db, projection.name)),
    lag: await store.countAfter(live?.position ?? undefined, lagCap),
  };
}

/** A rebuild under way shows, unless it has stopped on an error while the live generation has too. */
function statusOf(generations: readonly Generation[], active: boolean): ProjectionStatus['status'] {
  const live = generations.find((g) => g.state === 'live');
  const building = generations.find((g) => g.state === 'building');
  if (building && !building.failed) return 'rebuilding';
  if (live?.failed) return 'failed';
  if (building) return 'rebuilding';
  return active ? 'running' : 'stopped';
}

/** Whether some instance, anywhere, holds the projection's election lock. */
export async function hasActiveProjector(db: pg.Pool | pg.ClientBase, name: string): Promise<boolean> {
  const { rows } = await db.query<{ active: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1
          AND objid = (hashtext($2)::bigint & 4294967295)::text::oid
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     ) AS active`,
    [PROJECTOR_LOCK_CLASS, name],
  );
  return rows[0]?.active ?? false;
}
