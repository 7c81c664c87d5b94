import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type pg from 'pg';
import { PROJECTIONS, PROJECTOR_MIGRATIONS } from '../../projections/index.js';
import { ensureLiveGeneration } from '../../projections/projector/generations.js';
import { PG_POOL } from '../database/database.module.js';
import { migrate } from '../database/migrations.js';
import { LiveController } from './live/live.controller.js';
import { LiveService } from './live/live.service.js';
import { MessageChangeReader } from './live/message-changes.js';
import { MessagesController } from './messages/messages.controller.js';
import { GetMessageHandler, GetMessagesHandler } from './messages/messages.queries.js';
import { ProjectedRevisions } from './messages/projected-revisions.js';
import { NotificationHub } from './notification-hub.js';
import { ProjectionsController } from './projections/projections.controller.js';
import { ProjectionsService } from './projections/projections.service.js';

/** The query side: projections, the read model's queries, and live updates. */
@Module({
  imports: [CqrsModule],
  controllers: [MessagesController, ProjectionsController, LiveController],
  providers: [
    NotificationHub,
    ProjectedRevisions,
    GetMessagesHandler,
    GetMessageHandler,
    ProjectionsService,
    MessageChangeReader,
    LiveService,
  ],
  exports: [NotificationHub, ProjectionsService],
})
export class ReadModule implements OnModuleInit {
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
