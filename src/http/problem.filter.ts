import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from './error-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

const logger = new Logger('HTTP');

export function sendProblem(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { instance?: boolean } = {},
): void {
  const problem = toProblem(error);
  if (problem.status >= 500) {
    logger.error(`${request.method} ${request.url} → ${problem.status}: ${describe(error)}`);
  }
  if (problem.extra.retryAfterSeconds !== undefined)
    reply.header('Retry-After', String(problem.extra.retryAfterSeconds));
  void reply
    .status(problem.status)
    .header('Content-Type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body(options.instance === false ? undefined : request.url.split('?')[0])));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.stack ?? error.message}${cause}`;
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
