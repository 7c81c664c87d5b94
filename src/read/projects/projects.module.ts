import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ListProjectsHandler } from './list-projects.query.js';
import { ProjectsController } from './projects.controller.js';

/** The projects list, from the messages read model. */
@Module({
  imports: [CqrsModule],
  controllers: [ProjectsController],
  providers: [ListProjectsHandler],
})
export class ProjectsModule {}
