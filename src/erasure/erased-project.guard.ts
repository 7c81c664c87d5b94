import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../http/openapi.decorators.js';
import { ErasedProjects } from './erased-projects.js';
import { ProjectErasedError } from './tombstones.js';

/** Refuses a route of an erased project with 410, before anything of it is read or written. */
@Injectable()
export class ErasedProjectGuard implements CanActivate {
  constructor(private readonly erased: ErasedProjects) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { projectId } = context.switchToHttp().getRequest<FastifyRequest>().params as {
      projectId?: unknown;
    };
    if (typeof projectId === 'string' && (await this.erased.isErased(projectId)))
      throw new ProjectErasedError(projectId);
    return true;
  }
}

/** A controller of one project's conversation: 410 once the project was erased. */
export function RefusesErasedProjects(): ClassDecorator {
  return applyDecorators(UseGuards(ErasedProjectGuard), ApiProblems(410));
}
