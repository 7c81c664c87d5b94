import { HttpException } from '@nestjs/common';
import { Forbidden, KeysUnavailable, Unauthenticated } from '../auth/auth.errors.js';
import {
  AssistantMessageNotFoundError,
  CompletionConflictError,
  ContentTooLongError,
  MessageIdConflictError,
  NotStreamingError,
  ReplyToNotFoundError,
  StaleOffsetError,
} from '../conversation/conversation.errors.js';
import {
  ConcurrencyExhaustedError,
  PreconditionFailedError,
} from '../conversation/conversation.processor.js';
import { classifyPgError } from '../database/pg-errors.js';
import { ProjectErasedError } from '../erasure/tombstones.js';
import { EventStoreUnavailableError, StreamErasedError } from '../event-store/event-store.port.js';
import { Problem, type ProblemExtras } from './problem.js';

const FASTIFY_PROBLEMS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type', 'The body must be application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body-too-large', 'The body is larger than this service accepts'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed-json', 'The body is empty; a JSON object was expected'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-json', 'The body is not valid JSON'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad-request', 'Content-Length does not match the body'],
};

/** How one error class is told to a client; the detail is the error's own message unless given. */
interface ErrorRow<E extends Error> {
  error: abstract new (...args: never[]) => E;
  status: number;
  kind: string;
  detail?: (error: E) => string;
  extras?: (error: E) => ProblemExtras;
}

const row = <E extends Error>(entry: ErrorRow<E>) => entry as unknown as ErrorRow<Error>;

/** The errors that services throw, one row each. */
const ERROR_ROWS: readonly ErrorRow<Error>[] = [
  row({ error: MessageIdConflictError, status: 409, kind: 'message-id-conflict' }),
  row({ error: CompletionConflictError, status: 409, kind: 'completion-conflict' }),
  row({
    error: ReplyToNotFoundError,
    status: 422,
    kind: 'reply-to-not-found',
    extras: (error) => ({ errors: [{ field: 'replyTo', message: error.message }] }),
  }),
  row({ error: AssistantMessageNotFoundError, status: 404, kind: 'message-not-found' }),
  row({ error: NotStreamingError, status: 409, kind: 'message-completed' }),
  row({
    error: StaleOffsetError,
    status: 409,
    kind: 'stale-offset',
    extras: (error) => ({ currentLength: error.currentLength }),
  }),
  row({
    error: ContentTooLongError,
    status: 400,
    kind: 'validation',
    extras: (error) => ({ errors: [{ field: 'delta', message: error.message }] }),
  }),
  row({ error: ProjectErasedError, status: 410, kind: 'project-erased' }),
  row({
    error: StreamErasedError,
    status: 410,
    kind: 'project-erased',
    detail: () => 'The project was erased; nothing was appended',
  }),
  row({
    error: PreconditionFailedError,
    status: 412,
    kind: 'precondition-failed',
    detail: (error) => `${error.message}; nothing was appended`,
    extras: (error) => ({ currentRevision: error.currentRevision }),
  }),
  row({
    error: ConcurrencyExhaustedError,
    status: 503,
    kind: 'contention',
    detail: () => 'Too many concurrent writers on this conversation; nothing was appended',
    extras: () => ({ retryAfterSeconds: 1 }),
  }),
  row({
    error: EventStoreUnavailableError,
    status: 503,
    kind: 'event-store-unavailable',
    detail: unavailableDetail,
    extras: () => ({ retryAfterSeconds: 2 }),
  }),
  row({
    error: Unauthenticated,
    status: 401,
    kind: 'unauthorized',
    extras: (error) => ({ headers: { 'WWW-Authenticate': error.challenge } }),
  }),
  row({
    error: Forbidden,
    status: 403,
    kind: 'forbidden',
    extras: (error) => (error.challenge ? { headers: { 'WWW-Authenticate': error.challenge } } : {}),
  }),
  row({
    error: KeysUnavailable,
    status: 503,
    kind: 'auth-keys-unavailable',
    detail: () => 'The keys that verify tokens cannot be fetched right now',
    extras: () => ({ retryAfterSeconds: 5 }),
  }),
];

/**
 * Every error becomes problem details here and nowhere else. Unknown errors become a bare 500:
 * no stack trace or SQL reaches a client.
 */
export function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  // Nest wraps what a body parser refused before any route ran, keeping it as the cause.
  if (error instanceof HttpException && error.cause instanceof Problem) return error.cause;
  const known = ERROR_ROWS.find((entry) => error instanceof entry.error);
  if (known && error instanceof Error) {
    const detail = known.detail?.(error) ?? error.message;
    return new Problem(known.status, known.kind, detail, known.extras?.(error));
  }
  const failure = classifyPgError(error);
  if (failure === 'connection') {
    return new Problem(503, 'database-unavailable', 'The database is unreachable', { retryAfterSeconds: 2 });
  }
  if (failure === 'conflict') {
    const detail = 'Conflicting database transactions kept failing this request; nothing was changed';
    return new Problem(503, 'contention', detail, { retryAfterSeconds: 1 });
  }
  if (isClientAbort(error)) {
    return new Problem(400, 'client-aborted', 'The client closed the connection before its request was read');
  }
  if (error instanceof HttpException && error.getStatus() < 500) {
    // Nest wraps what Fastify rejects before a route runs (body parsing), keeping it as the cause.
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    const known = typeof code === 'string' ? FASTIFY_PROBLEMS[code] : undefined;
    if (known) return new Problem(...known);
    const status = error.getStatus();
    const [kind, detail] = HTTP_PROBLEMS[status] ?? ['bad-request', error.message];
    return new Problem(status, kind, detail);
  }
  return new Problem(500, 'internal', 'An unexpected error occurred');
}

/** Routing errors, and body errors without a Fastify code of their own. */
const HTTP_PROBLEMS: Record<number, [string, string]> = {
  404: ['not-found', 'No such resource'],
  405: ['method-not-allowed', 'Method not allowed on this resource'],
  413: ['body-too-large', 'The body is larger than this service accepts'],
  415: ['unsupported-media-type', 'The body must be application/json'],
};

function unavailableDetail(error: EventStoreUnavailableError): string {
  if (error.operation === 'read') return 'The event store is unreachable';
  return error.outcomeUnknown
    ? 'The event store became unreachable during the append; whether it was stored is unknown. Retrying with the same ids is safe.'
    : 'The event store is unreachable; nothing was appended';
}

/** The HTTP client went away while its request body was being read (Node's "aborted"). */
function isClientAbort(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'ECONNRESET' && message === 'aborted';
}
