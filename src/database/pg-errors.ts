/**
 * What a failure of a PostgreSQL statement means, decided in one place for the event store, the
 * read side, the projector and the HTTP error mapping:
 *
 * - `connection`: the database could not be reached or the connection dropped (SQLSTATE class
 *   08, 57P.., too many connections, pg-pool's connect timeout, a socket error of the pg client).
 *   Nothing is wrong with the statement: answer 503 and let the client retry.
 * - `conflict`: a serialization failure or a deadlock (40001, 40P01). The statement rolled back
 *   and may simply be run again: whoever ran it retries a few times (see `retryOnConflict`).
 * - `other`: anything else (data PostgreSQL refuses, a constraint, an SQL mistake). A bug, or
 *   input that validation should have refused: a 500, logged with its stack.
 */
export type PgFailure = 'connection' | 'conflict' | 'other';

/** No SQLSTATE class starts with E: that keeps errno codes such as EPIPE out. */
const SQLSTATE = /^[0-9A-DF-Z][0-9A-Z]{4}$/;

/** SQLSTATEs of a connection that failed or was shut down under the statement. */
const CONNECTION_SQLSTATE = /^(08...|57P..|53300)$/;

const CONFLICT_SQLSTATES = new Set(['40001', '40P01']);

/** Socket errors, as the pg client reports them (with the failed system call). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Errors that pg and pg-pool raise themselves when the connection is gone or cannot be made. */
const CLIENT_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end on the pool)/;

export function classifyPgError(error: unknown): PgFailure {
  if (typeof error !== 'object' || error === null) return 'other';
  const { code, message, syscall, errors } = error as {
    code?: unknown;
    message?: unknown;
    syscall?: unknown;
    errors?: unknown;
  };
  // A socket error carries the system call that failed (or, for a host with several addresses,
  // the errors of each attempt). A request stream that the HTTP client closed ("aborted",
  // ECONNRESET) has neither: it is not a database failure.
  if (typeof code === 'string' && SOCKET_CODES.has(code)) {
    return typeof syscall === 'string' || Array.isArray(errors) ? 'connection' : 'other';
  }
  if (typeof code === 'string' && SQLSTATE.test(code)) {
    if (CONNECTION_SQLSTATE.test(code)) return 'connection';
    return CONFLICT_SQLSTATES.has(code) ? 'conflict' : 'other';
  }
  if (typeof message === 'string' && CLIENT_MESSAGES.test(message)) return 'connection';
  return 'other';
}

/** The SQLSTATE of an error PostgreSQL reported, if it is one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

export function isConnectionFailure(error: unknown): boolean {
  return classifyPgError(error) === 'connection';
}

function isConflictFailure(error: unknown): boolean {
  return classifyPgError(error) === 'conflict';
}

export interface RetryOptions {
  /** Runs in all, the first included. */
  attempts?: number;
  /** Upper bound of the first pause; each later one may be twice as long. */
  baseDelayMs?: number;
}

/**
 * Runs `statement` again after a serialization failure or a deadlock, up to `attempts` runs, with
 * a random pause between them so that the transactions that collided do not collide again. Only
 * for work that is whole in itself (one statement, or a transaction that `statement` begins and
 * ends): PostgreSQL rolled it back, so running it again is safe. The last failure is thrown.
 */
export async function retryOnConflict<T>(
  statement: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (attempt >= attempts || !isConflictFailure(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * base * 2 ** (attempt - 1)));
    }
  }
}
