import { Global, Module } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '../database/database.module.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { NotificationsModule } from '../read/notifications/notifications.module.js';
import { EraseProjectController } from './erase-project.controller.js';
import { ErasedProjectGuard } from './erased-project.guard.js';
import { ErasedProjects } from './erased-projects.js';
import { ProjectErasure } from './project-erasure.js';

/** Erasing a project (DELETE /v1/projects/{projectId}), and the 410 of every route of one erased. */
@Global()
@Module({
  imports: [NotificationsModule],
  controllers: [EraseProjectController],
  providers: [
    ErasedProjects,
    ErasedProjectGuard,
    {
      provide: ProjectErasure,
      inject: [PG_POOL, EVENT_STORE, ErasedProjects],
      useFactory: (pool: pg.Pool, store: EventStore, erased: ErasedProjects) =>
        new ProjectErasure(pool, store, (projectId) => erased.tombstoned(projectId)),
    },
  ],
  exports: [ErasedProjects, ErasedProjectGuard],
})
export class ErasureModule {}
