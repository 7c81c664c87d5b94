import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import { ApiAnswer, ApiProblems } from '../http/openapi.decorators.js';
import { Problem } from '../http/problem.js';
import { LiveSchema, ReadinessSchema } from './health.schema.js';
import { CHECKS, type CheckKey, ReadinessChecks } from './readiness.checks.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
  ) {}

  /** Answers as long as the process serves HTTP: nothing else is asked, so a slow database never restarts it. */
  @Get('live')
  @ApiAnswer(200, LiveSchema, 'The process serves HTTP')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Terminus's result when the database, the event store and the projections are fine; otherwise
   * a 503 problem with the outcome of every check, and terminus's details beside it.
   */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiAnswer(200, ReadinessSchema, 'Ready: the database, the event store and every projection are fine')
  @ApiProblems(503)
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.checks.database(),
        () => this.checks.eventStore(),
        () => this.checks.projections(),
      ]);
    } catch (error) {
      throw error instanceof ServiceUnavailableException ? notReady(error.getResponse()) : error;
    }
  }
}

function notReady(response: unknown): Problem {
  const { details } = response as HealthCheckResult;
  const keys = Object.keys(CHECKS) as CheckKey[];
  const failed = keys.filter((key) => details[key]?.status !== 'up');
  const reasons = failed.map((key) => `${CHECKS[key]}: ${String(details[key]?.message ?? 'no answer')}`);
  return new Problem(503, 'not-ready', `Not ready: ${reasons.join('; ')}`, {
    retryAfterSeconds: 2,
    checks: Object.fromEntries(keys.map((key) => [key, failed.includes(key) ? 'failed' : 'ok'])),
    details,
  });
}
