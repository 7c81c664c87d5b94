import { Controller, Delete, HttpCode, Param, Req } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { principalOf } from '../auth/principal.js';
import { ApiProblems, ApiProject } from '../http/openapi.decorators.js';
import { ProjectIdPipe } from '../http/validation.js';
import { ProjectErasure } from './project-erasure.js';

@ApiProject('erasure')
@Controller('v1/projects/:projectId')
export class EraseProjectController {
  constructor(private readonly erasure: ProjectErasure) {}

  /** See "Erasure" in API.md: 204 also for a project already erased or never written. */
  @Delete()
  @HttpCode(204)
  @ApiResponse({
    status: 204,
    description:
      "Erased: the project's events, read model rows and live streams are gone; also for a project already erased or never written. Needs the scope `conversations:erase` when auth is on",
  })
  @ApiProblems(400, 503)
  async erase(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const requestId = request.headers['x-request-id'];
    await this.erasure.erase({
      projectId,
      subject: principalOf(request)?.subject ?? null,
      requestId: typeof requestId === 'string' ? requestId : null,
    });
  }
}
