import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sqlStateOf } from '../database/pg-errors.js';
import { toProblem } from './error-mapping.js';
import { type Problem, PROBLEM_CONTENT_TYPE } from './problem.js';

const logger = new Logger('HTTP');

export function sendProblem(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { instance?: boolean } = {},
): void {
  const problem = toProblem(error);
  log(problem, error, request);
  if (problem.extra.retryAfterSeconds !== undefined)
    reply.header('Retry-After', String(problem.extra.retryAfterSeconds));
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) reply.header(name, value);
  void reply
    .status(problem.status)
    .header('Content-Type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body(options.instance === false ? undefined : request.url.split('?')[0])));
}

/**
 * At the level the case deserves (see Problem.logLevel): only a bug gets a stack. A 503 is one
 * line saying what could not be reached; a client's error or a retry it was asked for is debug.
 */
function log(problem: Problem, error: unknown, request: FastifyRequest): void {
  const answer = `${request.method} ${request.url} → ${problem.status} ${problem.kind}`;
  // The request's id as a field of the line (pino), so that it joins the request's own line.
  const line = (msg: string) => ({ requestId: request.id, msg });
  switch (problem.logLevel) {
    case 'error':
      logger.error(line(`${answer}: ${withStack(error)}`));
      break;
    case 'warn':
      logger.warn(line(`${answer}: ${oneLine(error)}`));
      break;
    case 'debug':
      logger.debug(line(`${answer}: ${asAnswered(problem)}`));
      break;
  }
}

function withStack(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause =
    error.cause instanceof Error ? ` (cause: ${error.cause.message}${sqlState(error.cause)})` : '';
  return `${error.stack ?? error.message}${sqlState(error)}${cause}`;
}

/** The message and its cause's, without a stack. */
function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`.replace(/\s*\n\s*/g, ' ');
}

/** What the client was told, with the fields at fault. */
function asAnswered(problem: Problem): string {
  const fields = (problem.extra.errors ?? []).map((error) => `${error.field}: ${error.message}`);
  return fields.length > 0 ? `${problem.message} (${fields.join('; ')})` : problem.message;
}

/** What PostgreSQL said about a statement it refused, for the log only. */
function sqlState(error: Error): string {
  const code = sqlStateOf(error);
  if (code === undefined) return '';
  const { detail } = error as { detail?: unknown };
  return ` [SQLSTATE ${code}${typeof detail === 'string' ? `: ${detail}` : ''}]`;
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
