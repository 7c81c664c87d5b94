import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '../../src/database/database.module.js';
import { migrate } from '../../src/database/migrations.js';
import { ensureLiveGeneration } from '../projector/generations.js';
import { PROJECTIONS, PROJECTOR_MIGRATIONS } from '../registry.js';
import { ProjectorRunner } from './projector-runner.js';
import { ProjectionsService } from './projections.service.js';

/** The projections inside the service: their tables, their projectors, and what is asked of them. */
@Module({
  providers: [ProjectorRunner, ProjectionsService],
  exports: [ProjectionsService],
})
export class ProjectionsModule implements OnModuleInit {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async onModuleInit(): Promise<void> {
    await migrate(this.pool, [PROJECTOR_MIGRATIONS]);
    // Queries need the views before the first projector runs.
    const client = await this.pool.connect();
    try {
      for (const projection of PROJECTIONS) await ensureLiveGeneration(client, projection);
    } finally {
      client.release();
    }
  }
}
