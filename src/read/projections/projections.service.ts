import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type pg from 'pg';
import { findProjection, PROJECTIONS } from '../../../projections/index.js';
import { loadGenerations, requestRebuild } from '../../../projections/projector/generations.js';
import { PROJECTOR_LOCK_CLASS, Projector } from '../../../projections/projector/projector.js';
import { CONFIG } from '../../config/config.module.js';
import { type Config } from '../../config/config.js';
import { PG_POOL } from '../../database/database.module.js';
import { EVENT_STORE, type EventStore } from '../../event-store/event-store.port.js';
import { Problem } from '../../http/problem.js';

export interface ProjectionStatus {
  name: string;
  version: number;
  status: 'running' | 'rebuilding' | 'stopped' | 'failed';
  position: string | null;
  lag: number;
  lastError: string | null;
  updatedAt: string | null;
  /** Extension: the build under way, while status is "rebuilding". */
  rebuild: {
    generation: number;
    version: number;
    position: string | null;
    eventsApplied: number;
    lag: number;
  } | null;
}

const LAG_CAP = 10_000_000;

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

  async status(name: string): Promise<ProjectionStatus> {
    const projection = findProjection(name);
    if (!projection) throw new Problem(404, 'projection-not-found', `No projection named ${name}`);
    const generations = await loadGenerations(this.pool, name);
    const live = generations.find((g) => g.state === 'live');
    const building = generations.find((g) => g.state === 'building');
    const active = await this.hasActiveProjector(name);
    const status = building ? 'rebuilding' : live?.failed ? 'failed' : active ? 'running' : 'stopped';
    return {
      name,
      version: live?.version ?? projection.version,
      status,
      position: live?.position ?? null,
      lag: await this.store.countAfter(live?.position ?? undefined, LAG_CAP),
      lastError: live?.lastError ?? building?.lastError ?? null,
      updatedAt: (live ?? building)?.updatedAt.toISOString() ?? null,
      rebuild: building
        ? {
            generation: building.generation,
            version: building.version,
            position: building.position,
            eventsApplied: building.eventsApplied,
            lag: await this.store.countAfter(building.position ?? undefined, LAG_CAP),
          }
        : null,
    };
  }

  async rebuild(name: string): Promise<{ name: string; version: number }> {
    const projection = findProjection(name);
    if (!projection) throw new Problem(404, 'projection-not-found', `No projection named ${name}`);
    const client = await this.pool.connect();
    try {
      const generation = await requestRebuild(client, projection);
      return { name, version: generation.version };
    } finally {
      client.release();
    }
  }

  private async hasActiveProjector(name: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ active: boolean }>(
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
}
