import { classifyPgError, retryOnConflict, sqlStateOf } from './pg-errors.js';

const pgError = (code: string, message = 'from the server') => Object.assign(new Error(message), { code });
const socketError = (code: string, syscall: string) =>
  Object.assign(new Error(`${syscall} ${code} 127.0.0.1:5432`), { code, syscall, errno: -1 });

describe('classifyPgError', () => {
  it.each([
    ['admin shutdown (57P01)', pgError('57P01')],
    ['crash shutdown (57P02)', pgError('57P02')],
    ['cannot connect now (57P03)', pgError('57P03')],
    ['connection failure (08006)', pgError('08006')],
    ['connection does not exist (08003)', pgError('08003')],
    ['too many connections (53300)', pgError('53300')],
    ['a refused connection', socketError('ECONNREFUSED', 'connect')],
    ['a reset socket', socketError('ECONNRESET', 'read')],
    ['a connect timeout of the socket', socketError('ETIMEDOUT', 'connect')],
    ['a broken pipe', socketError('EPIPE', 'write')],
    [
      'a refused connection to every address of a host',
      Object.assign(new AggregateError([socketError('ECONNREFUSED', 'connect')]), { code: 'ECONNREFUSED' }),
    ],
    ["pg-pool's connect timeout", new Error('timeout exceeded when trying to connect')],
    ['a connection that ended', new Error('Connection terminated unexpectedly')],
    ['a connection that timed out', new Error('Connection terminated due to connection timeout')],
    [
      'a client that broke before',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
  ])('%s is a connection failure', (_label, error) => {
    expect(classifyPgError(error)).toBe('connection');
  });

  it.each([
    ['serialization failure (40001)', pgError('40001')],
    ['deadlock (40P01)', pgError('40P01')],
  ])('%s is a conflict to retry', (_label, error) => {
    expect(classifyPgError(error)).toBe('conflict');
  });

  it.each([
    ['invalid JSON text (22P02)', pgError('22P02')],
    ['an unsupported Unicode escape (22P05)', pgError('22P05')],
    ['a unique violation (23505)', pgError('23505')],
    ['a syntax error (42601)', pgError('42601')],
    ['a statement timeout (57014)', pgError('57014')],
    ['a programming error', new TypeError('x is undefined')],
    // What Node's HTTP server raises when a client goes away mid-body: no system call.
    ['an HTTP request stream the client closed', Object.assign(new Error('aborted'), { code: 'ECONNRESET' })],
    ['a string', 'Connection terminated'],
    ['null', null],
  ])('%s is "other": a bug, or not the database at all', (_label, error) => {
    expect(classifyPgError(error)).toBe('other');
  });

  it('reads a SQLSTATE, never an errno code', () => {
    expect(sqlStateOf(pgError('22P02'))).toBe('22P02');
    expect(sqlStateOf(socketError('EPIPE', 'write'))).toBeUndefined();
    expect(sqlStateOf(new Error('no code'))).toBeUndefined();
  });
});

describe('retryOnConflict', () => {
  it('runs the statement again after a conflict, and returns its result', async () => {
    let runs = 0;
    const result = await retryOnConflict(async () => {
      runs++;
      if (runs < 3) throw pgError(runs === 1 ? '40001' : '40P01');
      return 'done';
    });
    expect(result).toBe('done');
    expect(runs).toBe(3);
  });

  it('gives up after the given number of runs with the last conflict', async () => {
    let runs = 0;
    const error = await retryOnConflict(
      async () => {
        runs++;
        throw pgError('40P01', `deadlock ${runs}`);
      },
      { attempts: 4, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(runs).toBe(4);
    expect(error).toMatchObject({ code: '40P01', message: 'deadlock 4' });
  });

  it.each([
    ['a connection failure', pgError('57P01')],
    ['a bug', pgError('22P02')],
  ])('does not retry %s', async (_label, failure) => {
    let runs = 0;
    const error = await retryOnConflict(async () => {
      runs++;
      throw failure;
    }).catch((e: unknown) => e);
    expect(runs).toBe(1);
    expect(error).toBe(failure);
  });
});
