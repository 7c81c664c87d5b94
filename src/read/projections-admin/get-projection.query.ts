import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { type ProjectionStatus, ProjectionsService } from '../../../projections/index.js';

/** Undefined when there is no projection of that name. */
export class GetProjection extends Query<ProjectionStatus | undefined> {
  constructor(readonly name: string) {
    super();
  }
}

@QueryHandler(GetProjection)
export class GetProjectionHandler implements IQueryHandler<GetProjection> {
  constructor(private readonly projections: ProjectionsService) {}

  execute({ name }: GetProjection): Promise<ProjectionStatus | undefined> {
    return this.projections.status(name);
  }
}
