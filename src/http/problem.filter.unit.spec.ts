import { Logger, type LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConcurrencyExhaustedError } from '../conversation/conversation.processor.js';
import { EventStoreUnavailableError } from '../event-store/event-store.port.js';
import { sendProblem } from './problem.filter.js';
import { Problem } from './problem.js';

type Level = 'error' | 'warn' | 'log' | 'debug' | 'verbose' | 'fatal';

const logged: { level: Level; message: string; requestId?: unknown }[] = [];
/** A line is `{ requestId, msg }` (fields for pino). */
const capture = (level: Level) => (line: { requestId?: unknown; msg?: unknown }) =>
  logged.push({ level, message: String(line.msg), requestId: line.requestId });
const logger: LoggerService = {
  error: capture('error'),
  warn: capture('warn'),
  log: capture('log'),
  debug: capture('debug'),
  verbose: capture('verbose'),
  fatal: capture('fatal'),
};

beforeAll(() => Logger.overrideLogger(logger));
afterAll(() => Logger.overrideLogger(true));
beforeEach(() => (logged.length = 0));

function answer(error: unknown, method = 'POST', url = '/v1/projects/p/messages') {
  const reply = { status: 0, headers: {} as Record<string, string>, body: '' };
  const fake = {
    header(name: string, value: string) {
      reply.headers[name.toLowerCase()] = value;
      return fake;
    },
    status(code: number) {
      reply.status = code;
      return fake;
    },
    send(body: string) {
      reply.body = body;
      return fake;
    },
  };
  sendProblem(error, { id: 'req-1', method, url } as FastifyRequest, fake as unknown as FastifyReply);
  expect(logged).toHaveLength(1);
  expect(logged[0]?.requestId).toBe('req-1');
  return { ...reply, problem: JSON.parse(reply.body) as Record<string, unknown>, log: logged[0]! };
}

const pgError = (code: string, message: string, detail?: string) =>
  Object.assign(new Error(message), { code, detail, severity: 'ERROR' });

const STACK_LINE = /\n\s+at /;

describe('a bug (500): ERROR with its stack; the client learns nothing of it', () => {
  it('an unexpected error', () => {
    const { status, problem, log } = answer(new TypeError('cannot read properties of undefined'));
    expect(status).toBe(500);
    expect(problem).toMatchObject({ type: '/problems/internal', detail: 'An unexpected error occurred' });
    expect(log.level).toBe('error');
    expect(log.message).toMatch(/POST \/v1\/projects\/p\/messages → 500 internal: TypeError: cannot read/);
    expect(log.message).toMatch(STACK_LINE);
  });

  it('data PostgreSQL refused: a 500, never a 503; the SQLSTATE is in the log only', () => {
    const refused = pgError(
      '22P02',
      'invalid input syntax for type json',
      'Unicode low surrogate must follow a high surrogate.',
    );
    const { status, headers, problem, body, log } = answer(refused);
    expect(status).toBe(500);
    expect(headers['retry-after']).toBeUndefined();
    expect(body).not.toMatch(/json|surrogate|22P02|SELECT/);
    expect(problem.type).toBe('/problems/internal');
    expect(log.level).toBe('error');
    expect(log.message).toContain('[SQLSTATE 22P02: Unicode low surrogate must follow a high surrogate.]');
    expect(log.message).toMatch(STACK_LINE);
  });
});

describe('unavailable (503): WARN, one line, no stack, with Retry-After', () => {
  it.each([
    [
      'a read of the event store',
      new EventStoreUnavailableError('event store unreachable', {
        operation: 'read',
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
          code: 'ECONNREFUSED',
          syscall: 'connect',
        }),
      }),
      'event-store-unavailable',
      'The event store is unreachable',
    ],
    [
      'an append that never reached the store',
      new EventStoreUnavailableError('event store unreachable; nothing was appended', {
        operation: 'append',
      }),
      'event-store-unavailable',
      'The event store is unreachable; nothing was appended',
    ],
    [
      'an append whose connection dropped',
      new EventStoreUnavailableError('dropped', { operation: 'append', outcomeUnknown: true }),
      'event-store-unavailable',
      'The event store became unreachable during the append; whether it was stored is unknown. Retrying with the same ids is safe.',
    ],
    [
      'the database, refusing connections',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
        syscall: 'connect',
      }),
      'database-unavailable',
      'The database is unreachable',
    ],
    [
      'the database, shut down',
      pgError('57P01', 'terminating connection due to administrator command'),
      'database-unavailable',
      'The database is unreachable',
    ],
    [
      "pg-pool's connect timeout",
      new Error('timeout exceeded when trying to connect'),
      'database-unavailable',
      'The database is unreachable',
    ],
  ])('%s', (_label, error, kind, detail) => {
    const { status, headers, problem, log } = answer(error, 'GET', '/v1/projects/p/events');
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe('2');
    expect(problem).toMatchObject({ type: `/problems/${kind}`, detail });
    expect(log.level).toBe('warn');
    expect(log.message).not.toContain('\n');
  });

  it('a read never speaks of appends', () => {
    const { problem } = answer(new EventStoreUnavailableError('event store unreachable'), 'GET');
    expect(problem.detail).not.toMatch(/append/);
  });

  it.each([
    ['writers that kept winning', new ConcurrencyExhaustedError('conversation-p: still conflicting')],
    ['a deadlock that kept recurring', pgError('40P01', 'deadlock detected')],
  ])('contention: %s', (_label, error) => {
    const { status, headers, problem, log } = answer(error);
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe('1');
    expect(problem.type).toBe('/problems/contention');
    expect(log.level).toBe('warn');
    expect(log.message).not.toContain('\n');
  });
});

describe('what a client did, or may simply retry: DEBUG, no stack', () => {
  it('a client that went away mid-body is not a database failure', () => {
    // Node's HTTP server fails the request stream with this when the socket closes early.
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    const { status, problem, log } = answer(aborted);
    expect(status).toBe(400);
    expect(problem.type).toBe('/problems/client-aborted');
    expect(log.level).toBe('debug');
    expect(log.message).not.toMatch(STACK_LINE);
    expect(log.message).not.toMatch(/database|unavailable/i);
  });

  it('a minRevision wait that timed out: 503 with Retry-After, logged at debug', () => {
    const timeout = new Problem(
      503,
      'revision-not-reached',
      'The read model has not reached revision 7 yet',
      {
        retryAfterSeconds: 1,
        logLevel: 'debug',
      },
    );
    const { status, headers, log } = answer(timeout, 'GET', '/v1/projects/p/messages?minRevision=7');
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe('1');
    expect(log.level).toBe('debug');
    expect(log.message).not.toContain('\n');
  });

  it.each([
    ['validation', new Problem(400, 'validation', 'The request body is invalid')],
    ['a conflict', new Problem(409, 'message-id-conflict', 'taken')],
    ['a precondition', new Problem(412, 'precondition-failed', 'stale')],
  ])('%s', (_label, problem) => {
    const { log } = answer(problem);
    expect(log.level).toBe('debug');
    expect(log.message).not.toMatch(STACK_LINE);
  });
});
