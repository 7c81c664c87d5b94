import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { NoFieldsPipe } from '../../http/validation.js';
import { type ProjectionStatus, ProjectionsService } from './projections.service.js';

@Controller('v1/projections')
export class ProjectionsController {
  constructor(private readonly projections: ProjectionsService) {}

  @Get()
  list(): Promise<ProjectionStatus[]> {
    return this.projections.list();
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  rebuild(
    @Param('name') name: string,
    @Body(NoFieldsPipe) _body: Record<string, never>,
  ): Promise<{ name: string; version: number }> {
    return this.projections.rebuild(name);
  }
}
