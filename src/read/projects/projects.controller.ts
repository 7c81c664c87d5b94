import { Controller, Get, Query, Req } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import { principalOf } from '../../auth/principal.js';
import { ApiAnswer, ApiPageLimit, ApiProblems, ApiV1 } from '../../http/openapi.decorators.js';
import { integerParam } from '../../http/query-params.js';
import { ListProjects } from './list-projects.query.js';
import { decodeCursor, encodeCursor } from './projects-cursor.js';
import { ProjectPageSchema } from './projects.schema.js';

@ApiV1('projects')
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly queries: QueryBus) {}

  /** The route names no project: what the caller may see is its token's `projects` claim. */
  @Get()
  @ApiPageLimit()
  @ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' }, description: 'A `nextCursor`' })
  @ApiAnswer(200, ProjectPageSchema, 'The conversations the caller may see, most recently active first')
  @ApiProblems(400, 503)
  async list(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<ProjectPageSchema> {
    const limit = integerParam('limit', query.limit, 50, 1, 200);
    const cursor = decodeCursor(query.cursor);
    const projects = principalOf(request)?.projects ?? '*';
    const allowed = projects === '*' ? undefined : [...projects];
    const page = await this.queries.execute(new ListProjects(limit, cursor, allowed));
    return { data: page.data, nextCursor: page.next ? encodeCursor(page.next) : null };
  }
}
