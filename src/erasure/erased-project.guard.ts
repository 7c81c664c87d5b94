import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isConnectionFailure } from '../database/pg-errors.js';
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
    if (typeof projectId === 'string' && (await this.isErased(projectId)))
      throw new ProjectErasedError(projectId);
    return true;
  }

  /**
   * With the tombstones out of reach the route goes on and its own store answers: the read model
   * sits in the same database and fails alike, and an erased stream refuses appends and reads
   * empty by itself (unless its erasure was cut short before the log, until it is asked again).
   * The client hears what the route says of its outage (nothing was appended).
   */
  private async isErased(projectId: string): Promise<boolean> {
    try {
      return await this.erased.isErased(projectId);
    } catch (error) {
      if (isConnectionFailure(error)) return false;
      throw error;
    }
  }
}

/** A controller of one project's conversation: 410 once the project was erased. */
export function RefusesErasedProjects(): ClassDecorator {
  return applyDecorators(UseGuards(ErasedProjectGuard), ApiProblems(410));
}
