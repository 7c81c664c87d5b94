import { Controller, Get, Inject } from '@nestjs/common';
import type pg from 'pg';
import { ProjectionsService } from '../../projections/index.js';
import { PG_POOL } from '../database/database.module.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { Problem } from '../http/problem.js';

/** Longest one readiness check may take, so that a probe is answered even when PostgreSQL is gone. */
export const CHECK_TIMEOUT_MS = 1_000;

type Outcome = 'ok' | 'failed';

export interface Readiness {
  status: 'ok';
  checks: { database: Outcome; eventStore: Outcome; projections: Outcome };
}

@Controller('health')
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionsService,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready when the read model's database and the event store answer, each within the timeout,
   * and no projection has failed (stopped at an event it cannot apply). Otherwise 503, with
   * the outcome of every check.
   */
  @Get('ready')
  async ready(): Promise<Readiness> {
    const [database, eventStore, projections] = await Promise.all([
      check('database', async () => {
        await this.pool.query('SELECT 1');
        return undefined;
      }),
      check('event store', async () => {
        await this.store.ping();
        return undefined;
      }),
      check('projections', async () => {
        const failed = await this.projections.failed();
        if (failed.length === 0) return undefined;
        const it = failed.length === 1 ? 'it' : 'they';
        return `${failed.join(', ')} stopped at an event ${it} cannot apply (see GET /v1/projections)`;
      }),
    ]);
    const checks = {
      database: outcome(database),
      eventStore: outcome(eventStore),
      projections: outcome(projections),
    };
    const reasons = [database, eventStore, projections].filter((reason) => reason !== undefined);
    if (reasons.length > 0) {
      throw new Problem(503, 'not-ready', `Not ready: ${reasons.join('; ')}`, {
        retryAfterSeconds: 2,
        checks,
      });
    }
    return { status: 'ok', checks };
  }
}

function outcome(reason: string | undefined): Outcome {
  return reason === undefined ? 'ok' : 'failed';
}

class CheckTimeout extends Error {}

/** Runs one check within the timeout; resolves to why it failed, or undefined when it passed. */
async function check(name: string, run: () => Promise<string | undefined>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), CHECK_TIMEOUT_MS);
  });
  try {
    const problem = await Promise.race([run(), timeout]);
    return problem === undefined ? undefined : `${name}: ${problem}`;
  } catch (error) {
    return error instanceof CheckTimeout
      ? `${name}: no answer within ${CHECK_TIMEOUT_MS / 1000} s`
      : `${name}: unavailable`;
  } finally {
    clearTimeout(timer);
  }
}
