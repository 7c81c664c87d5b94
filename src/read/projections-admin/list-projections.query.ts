import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { type ProjectionStatus, ProjectionsService } from '../../../projections/index.js';

export class ListProjections extends Query<ProjectionStatus[]> {}

@QueryHandler(ListProjections)
export class ListProjectionsHandler implements IQueryHandler<ListProjections> {
  constructor(private readonly projections: ProjectionsService) {}

  execute(): Promise<ProjectionStatus[]> {
    return this.projections.list();
  }
}
