import { type DynamicModule, type ExecutionContext, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type ThrottlerLimitDetail, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { type Config } from '../config/config.js';
import { Problem } from '../http/problem.js';
import { clientKeyOf } from './client-key.js';

/** Commands are the POST routes of conversations; reads, streams and operations are not counted. */
function isCommand(request: FastifyRequest): boolean {
  return request.method === 'POST' && (request.routeOptions.url ?? '').startsWith('/v1/projects/');
}

/**
 * Throttler's guard on commands only, counting per client (see clientKeyOf), and answering over
 * the limit with the service's problem details and `Retry-After` rather than throttler's own body.
 */
@Injectable()
export class CommandRateLimitGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(!isCommand(context.switchToHttp().getRequest<FastifyRequest>()));
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve(clientKeyOf(request as unknown as FastifyRequest));
  }

  /** One budget per client for all commands, not one per route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const windowSeconds = Math.ceil(detail.ttl / 1000);
    throw new Problem(
      429,
      'rate-limited',
      `More than ${detail.limit} commands in ${windowSeconds} s from this client; nothing was appended`,
      { retryAfterSeconds: Math.max(1, detail.timeToBlockExpire) },
    );
  }
}

/**
 * The command rate limit, counted in this instance's memory (each instance allows the configured
 * rate). Nothing is registered when the limit is off, so it then costs a request nothing.
 */
@Module({})
export class CommandRateLimitModule {
  static forRoot(config: Pick<Config, 'rateLimitCommands' | 'rateLimitWindowMs'>): DynamicModule {
    if (config.rateLimitCommands === 0) return { module: CommandRateLimitModule };
    return {
      module: CommandRateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'commands', limit: config.rateLimitCommands, ttl: config.rateLimitWindowMs }],
          // Retry-After comes with the problem; no X-RateLimit-* headers beyond the contract.
          setHeaders: false,
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: CommandRateLimitGuard }],
    };
  }
}
