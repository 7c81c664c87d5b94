import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '../../src/database/database.module.js';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store.port.js';
import { requestRebuild } from '../projector/generations.js';
import { type ProjectionMetrics, projectionMetrics } from '../projector/metrics.js';
import {
  type ProjectionHealth,
  projectionHealth,
  type ProjectionStatus,
  projectionStatus,
} from '../projector/status.js';
import { findProjection, PROJECTIONS } from '../registry.js';

/** The answer to a rebuild request: the generation being built. */
export interface RebuildRequested {
  name: string;
  version: number;
  generation: number;
}

/** What the service asks of its projections: where they stand, and rebuilds. */
@Injectable()
export class ProjectionsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async list(): Promise<ProjectionStatus[]> {
    return Promise.all(PROJECTIONS.map((projection) => projectionStatus(this.pool, this.store, projection)));
  }

  /** Each projection's status and lag, the lag counted up to `lagCap` events at most. */
  health(lagCap: number): Promise<ProjectionHealth[]> {
    return Promise.all(
      PROJECTIONS.map((projection) => projectionHealth(this.pool, this.store, projection, lagCap)),
    );
  }

  /** Undefined when there is no projection of that name. */
  async status(name: string): Promise<ProjectionStatus | undefined> {
    const projection = findProjection(name);
    return projection && projectionStatus(this.pool, this.store, projection);
  }

  /**
   * Starts a rebuild, or names the one under way; undefined when there is no projection of that
   * name. Requests that arrive together (at any instance) take turns: each looks for a build
   * under way only once the one before it has committed the build it started, so they all name
   * the same one.
   */
  async rebuild(name: string): Promise<RebuildRequested | undefined> {
    const projection = findProjection(name);
    if (!projection) return undefined;
    const client = await this.pool.connect();
    try {
      const building = await requestRebuild(client, projection);
      return { name: projection.name, version: building.version, generation: building.generation };
    } finally {
      client.release();
    }
  }

  /** Every projection's status with its applied-events count and its lag in seconds. */
  async metrics(): Promise<ProjectionMetrics[]> {
    return Promise.all(PROJECTIONS.map((projection) => projectionMetrics(this.pool, this.store, projection)));
  }
}
