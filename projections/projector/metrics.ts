import type pg from 'pg';
import type { EventStore } from '../../src/event-store/event-store.port.js';
import { type Projection } from '../projection.js';
import { loadGenerations } from './generations.js';
import { type ProjectionStatus, projectionStatus } from './status.js';

/** A projection's status with what only metrics need besides. */
export interface ProjectionMetrics {
  status: ProjectionStatus;
  /** Events the live generation has applied since it was built (a rebuild starts a new count). */
  eventsApplied: number;
  /** Age of the oldest event the live generation has still to apply; 0 when caught up. */
  lagSeconds: number;
}

export async function projectionMetrics(
  db: pg.Pool,
  store: EventStore,
  projection: Projection,
  now = Date.now(),
): Promise<ProjectionMetrics> {
  const status = await projectionStatus(db, store, projection);
  const live = (await loadGenerations(db, projection.name)).find((g) => g.state === 'live');
  const { events } = await store.readAll({ after: status.position ?? undefined, maxCount: 1 });
  const oldest = events[0]?.createdAt.getTime();
  return {
    status,
    eventsApplied: live?.eventsApplied ?? 0,
    lagSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
  };
}
