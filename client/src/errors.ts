import type { FieldError, Problem } from './types.js';

/** An `application/problem+json` answer (RFC 9457), as an error a caller can `instanceof`. */
export class ProblemError extends Error {
  readonly type: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly FieldError[];
  /** The service's `X-Request-Id` for this answer, to find it in the service's log. */
  readonly requestId: string | null;

  constructor(problem: Problem, requestId: string | null) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = new.target.name;
    this.type = problem.type;
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = requestId;
  }
}

/** 400 / 422: the request is wrong in a way `errors` names field by field. */
export class ValidationError extends ProblemError {}
/** 401 / 403. */
export class AuthorizationError extends ProblemError {}
/** 404. */
export class NotFoundError extends ProblemError {}
/** 409: the id is taken by another message, or a completion contradicts an earlier one. */
export class ConflictError extends ProblemError {}
/** 409 of `stream`: the offset is not the message's current length (another producer, or a lost answer). */
export class StaleOffsetError extends ConflictError {
  /** The content length now: a producer that lost track reads the message and goes on from there. */
  readonly currentLength: number;

  constructor(problem: Problem, requestId: string | null) {
    super(problem, requestId);
    this.currentLength = problem.currentLength ?? -1;
  }
}
/** 410: the project was erased. */
export class ProjectErasedError extends ProblemError {}

/** 412: the stream is not at the revision the caller pinned with `ifMatch`. */
export class PreconditionFailedError extends ProblemError {
  /** Where the stream is now: read from there and decide again. */
  readonly currentRevision: number;

  constructor(problem: Problem, requestId: string | null) {
    super(problem, requestId);
    this.currentRevision = problem.currentRevision ?? -1;
  }
}

/** 429 / 503 that went on after every retry. */
export class UnavailableError extends ProblemError {}

const BY_STATUS: Record<number, typeof ProblemError> = {
  400: ValidationError,
  401: AuthorizationError,
  403: AuthorizationError,
  404: NotFoundError,
  409: ConflictError,
  410: ProjectErasedError,
  412: PreconditionFailedError,
  422: ValidationError,
  429: UnavailableError,
  503: UnavailableError,
};

/** The typed error for an answer that is not a success; a body that is not a problem still becomes one. */
export function problemError(status: number, body: unknown, requestId: string | null): ProblemError {
  const problem = isProblem(body)
    ? body
    : { type: 'about:blank', title: `HTTP ${status}`, status, detail: typeof body === 'string' ? body : '' };
  const ErrorType =
    status === 409 && typeof problem.currentLength === 'number'
      ? StaleOffsetError
      : (BY_STATUS[status] ?? ProblemError);
  return new ErrorType(problem, requestId);
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && 'type' in body && 'status' in body;
}
