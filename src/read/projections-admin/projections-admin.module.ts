import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ProjectionsModule } from '../../../projections/index.js';
import { GetProjectionHandler } from './get-projection.query.js';
import { ListProjectionsHandler } from './list-projections.query.js';
import { ProjectionsController } from './projections.controller.js';
import { RequestRebuildHandler } from './request-rebuild.command.js';

/** `/v1/projections`: where each projection stands, and rebuild requests. */
@Module({
  imports: [CqrsModule, ProjectionsModule],
  controllers: [ProjectionsController],
  providers: [ListProjectionsHandler, GetProjectionHandler, RequestRebuildHandler],
})
export class ProjectionsAdminModule {}
