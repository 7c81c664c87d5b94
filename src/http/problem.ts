/** RFC 9457 problem details: the body of every error response. */

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  currentRevision?: number;
  /** Extension of a stale streaming offset: the content's length, where the next delta goes. */
  currentLength?: number;
  /** Extension of the readiness problem: the outcome of each check. */
  checks?: Record<string, 'ok' | 'failed'>;
  /** Extension of the readiness problem: each check's details as the health check reports them. */
  details?: Record<string, Record<string, unknown>>;
}

/** What a problem carries beyond its status, kind and detail. */
export interface ProblemExtras {
  errors?: FieldError[];
  currentRevision?: number;
  currentLength?: number;
  checks?: ProblemBody['checks'];
  details?: ProblemBody['details'];
  /** Sent as the Retry-After header, not in the body. */
  retryAfterSeconds?: number;
  /** Other response headers the answer needs (e.g. WWW-Authenticate), not in the body. */
  headers?: Readonly<Record<string, string>>;
  /** Overrides the level the status implies (see `logLevel`). */
  logLevel?: ProblemLogLevel;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * How an answer is logged: a bug (500) at error, with its stack; the database or event store
 * unreachable (503) at warn, one line; what a client did or can simply retry at debug.
 */
export type ProblemLogLevel = 'error' | 'warn' | 'debug';

/** An error that is already a client-facing answer. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    /** Short, stable kind, e.g. "validation"; becomes the type URI. */
    readonly kind: string,
    detail: string,
    readonly extra: ProblemExtras = {},
  ) {
    super(detail);
  }

  get logLevel(): ProblemLogLevel {
    return this.extra.logLevel ?? (this.status === 503 ? 'warn' : this.status >= 500 ? 'error' : 'debug');
  }

  body(instance?: string): ProblemBody {
    const body: ProblemBody = {
      type: `/problems/${this.kind}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
    };
    if (instance !== undefined) body.instance = instance;
    if (this.extra.errors) body.errors = this.extra.errors;
    if (this.extra.currentRevision !== undefined) body.currentRevision = this.extra.currentRevision;
    if (this.extra.currentLength !== undefined) body.currentLength = this.extra.currentLength;
    if (this.extra.checks) body.checks = this.extra.checks;
    if (this.extra.details) body.details = this.extra.details;
    return body;
  }
}
