import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type pg from 'pg';
import { findProjection, PROJECTIONS } from '../../../projections/index.js';
import { requestRebuild } from '../../../projections/projector/generations.js';
import { Projector } from '../../../projections/projector/projector.js';
import {
  type ProjectionStatus,
  projectionState,
  projectionStatus,
} from '../../../projections/projector/status.js';
import { CONFIG } from '../../config/config.module.js';
import { type Config } from '../../config/config.js';
import { PG_POOL } from '../../database/database.module.js';
import { EVENT_STORE, type EventStore } from '../../event-store/event-store.port.js';
import { Problem } from '../../http/problem.js';

export type { ProjectionStatus };

/** The answer to a rebuild request: the generation being built. */
export interface RebuildRequested {
  name: string;
  version: number;
  generation: number;
}

/** Runs every projection's projector in this instance (one becomes active across instances). */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projector');
  private readonly projectors: Projector[];

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {
    const log = (level: 'log' | 'warn' | 'error', message: string) => this.logger[level](message);
    this.projectors = PROJECTIONS.map(
      (projection) => new Projector(config.databaseUrl ?? '', store, projection, { log }),
    );
  }

  onApplicationBootstrap(): void {
    for (const projector of this.projectors) projector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.projectors.map((projector) => projector.stop()));
  }

  async list(): Promise<ProjectionStatus[]> {
    return Promise.all(PROJECTIONS.map((projection) => this.status(projection.name)));
  }

  /** Names of the projections whose status is `failed` (stopped at an event they cannot apply). */
  async failed(): Promise<string[]> {
    const states = await Promise.all(PROJECTIONS.map((projection) => projectionState(this.pool, projection)));
    return PROJECTIONS.filter((_, i) => states[i] === 'failed').map((projection) => projection.name);
  }

  async status(name: string): Promise<ProjectionStatus> {
    const projection = findProjection(name);
    if (!projection) throw new Problem(404, 'projection-not-found', `No projection named ${name}`);
    return projectionStatus(this.pool, this.store, projection);
  }

  /**
   * Starts a rebuild, or names the one under way. Requests that arrive together (at any
   * instance) take turns: each looks for a build under way only once the one before it has
   * committed the build it started, so they all name the same one.
   */
  async rebuild(name: string): Promise<RebuildRequested> {
    const projection = findProjection(name);
    if (!projection) throw new Problem(404, 'projection-not-found', `No projection named ${name}`);
    const client = await this.pool.connect();
    try {
      const building = await requestRebuild(client, projection);
      return { name: projection.name, version: building.version, generation: building.generation };
    } finally {
      client.release();
    }
  }
}
