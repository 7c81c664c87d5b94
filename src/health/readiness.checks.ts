import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type pg from 'pg';
import { type ProjectionHealth, ProjectionsService } from '../../projections/index.js';
import { CONFIG } from '../config/config.module.js';
import { type Config } from '../config/config.js';
import { PG_POOL } from '../database/database.module.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';

/** Longest one readiness check may take, so that a probe is answered even when PostgreSQL is gone. */
export const CHECK_TIMEOUT_MS = 1_000;

/** The readiness checks, by the key each has in the answer, with how a person would name it. */
export const CHECKS = {
  database: 'database',
  eventStore: 'event store',
  projections: 'projections',
} as const;
export type CheckKey = keyof typeof CHECKS;

/** A failure whose message may be shown to anyone: health routes are open. */
class CheckFailed extends Error {}

/**
 * The readiness indicators, each bounded by CHECK_TIMEOUT_MS. Whatever a check's dependency throws
 * is reduced to "unavailable": its messages name hosts and SQL, and a probe answers anyone.
 */
@Injectable()
export class ReadinessChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projectionsService: ProjectionsService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  database() {
    return this.attempt('database', async () => {
      await this.pool.query('SELECT 1');
    });
  }

  eventStore() {
    return this.attempt('eventStore', () => this.store.ping());
  }

  /**
   * Every projection running (or rebuilding beside its live generation) and no more than
   * READY_MAX_PROJECTION_LAG events behind the log. A failed projection makes every instance not
   * ready, since they all read the model it stopped; so does one no instance is running.
   */
  projections() {
    const maxLag = this.config.readyMaxProjectionLag;
    return this.attempt('projections', async () => {
      const projections = await this.projectionsService.health(maxLag + 1);
      const faults = projections.map((projection) => faultOf(projection, maxLag)).filter(Boolean);
      if (faults.length > 0) throw new CheckFailed(faults.join(', '));
      return { lag: Object.fromEntries(projections.map(({ name, lag }) => [name, lag])) };
    });
  }

  private attempt<Key extends CheckKey>(key: Key, check: () => Promise<Record<string, unknown> | void>) {
    return this.indicators
      .check(key)
      .attempt(async () => {
        try {
          return await check();
        } catch (error) {
          throw error instanceof CheckFailed ? error : new CheckFailed('unavailable');
        }
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }
}

/** Why a projection keeps the instance from being ready, or '' when it does not. */
function faultOf({ name, status, lag }: ProjectionHealth, maxLag: number): string {
  if (status === 'failed') return `${name} stopped at an event it cannot apply (see GET /v1/projections)`;
  if (status === 'stopped') return `${name} is not being projected by any instance`;
  if (lag > maxLag) return `${name} is more than ${maxLag} events behind the log`;
  return '';
}
