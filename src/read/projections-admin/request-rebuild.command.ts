import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ProjectionsService, type RebuildRequested } from '../../../projections/index.js';

/** Undefined when there is no projection of that name. */
export class RequestRebuild extends Command<RebuildRequested | undefined> {
  constructor(readonly name: string) {
    super();
  }
}

@CommandHandler(RequestRebuild)
export class RequestRebuildHandler implements ICommandHandler<RequestRebuild> {
  constructor(private readonly projections: ProjectionsService) {}

  execute({ name }: RequestRebuild): Promise<RebuildRequested | undefined> {
    return this.projections.rebuild(name);
  }
}
