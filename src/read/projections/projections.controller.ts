import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NoFieldsPipe } from '../../http/validation.js';
import { type ProjectionStatus, ProjectionsService, type RebuildRequested } from './projections.service.js';

@Controller('v1/projections')
export class ProjectionsController {
  constructor(private readonly projections: ProjectionsService) {}

  @Get()
  list(): Promise<ProjectionStatus[]> {
    return this.projections.list();
  }

  @Get(':name')
  one(@Param('name') name: string): Promise<ProjectionStatus> {
    return this.projections.status(name);
  }

  /** 202 naming the generation being built; Location is the projection, whose status shows it. */
  @Post(':name/rebuild')
  @HttpCode(202)
  async rebuild(
    @Param('name') name: string,
    @Body(NoFieldsPipe) _body: Record<string, never>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RebuildRequested> {
    const requested = await this.projections.rebuild(name);
    void reply.header('Location', `/v1/projections/${encodeURIComponent(requested.name)}`);
    return requested;
  }
}
