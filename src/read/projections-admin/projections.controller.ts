import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { type ProjectionStatus, type RebuildRequested } from '../../../projections/index.js';
import { ApiBody, ApiParam } from '@nestjs/swagger';
import { ApiAnswer, ApiProblems, ApiV1 } from '../../http/openapi.decorators.js';
import { Problem } from '../../http/problem.js';
import { NoFieldsPipe } from '../../http/validation.js';
import { GetProjection } from './get-projection.query.js';
import { ListProjections } from './list-projections.query.js';
import { ProjectionStatusSchema, RebuildRequestedSchema } from './projections.schema.js';
import { RequestRebuild } from './request-rebuild.command.js';

@ApiV1('projections')
@ApiProblems(503)
@Controller('v1/projections')
export class ProjectionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiAnswer(200, [ProjectionStatusSchema], 'Every projection')
  list(): Promise<ProjectionStatus[]> {
    return this.queries.execute(new ListProjections());
  }

  @Get(':name')
  @ApiParam({ name: 'name', example: 'messages' })
  @ApiAnswer(200, ProjectionStatusSchema, 'Extension: one projection’s status')
  @ApiProblems(404)
  async one(@Param('name') name: string): Promise<ProjectionStatus> {
    return (await this.queries.execute(new GetProjection(name))) ?? notFound(name);
  }

  /** 202 naming the generation being built; Location is the projection, whose status shows it. */
  @Post(':name/rebuild')
  @ApiParam({ name: 'name', example: 'messages' })
  @ApiAnswer(202, RebuildRequestedSchema, 'The generation being built (or the one already under way)', [
    'Location',
  ])
  @ApiBody({ required: false, schema: { type: 'object', maxProperties: 0 }, description: 'None, or `{}`' })
  @ApiProblems(400, 404, 413, 415)
  @HttpCode(202)
  async rebuild(
    @Param('name') name: string,
    @Body(NoFieldsPipe) _body: Record<string, never>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RebuildRequested> {
    const requested = (await this.commands.execute(new RequestRebuild(name))) ?? notFound(name);
    void reply.header('Location', `/v1/projections/${encodeURIComponent(requested.name)}`);
    return requested;
  }
}

function notFound(name: string): never {
  throw new Problem(404, 'projection-not-found', `No projection named ${name}`);
}
