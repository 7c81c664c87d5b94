import { type LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Logger, type Params, PinoLogger } from 'nestjs-pino';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { type Config } from '../config/config.js';
import { routeTemplateOf } from '../http/request-id.js';

/**
 * pino, through nestjs-pino's Nest logger: one JSON line per event, and one line per request when
 * it is answered (method, path, route template, status, duration, request id). Bodies and headers
 * are never logged; the redaction below is the backstop for anything that logs a request object
 * itself (a bearer token, a cookie).
 *
 * The request line comes from a Fastify hook, not from pino-http's middleware: that runs every
 * request through Nest's middleware layer and an AsyncLocalStorage, whose promise hooks cost every
 * promise the service makes (about a fifth more CPU per command, measured). Lines about a request that logs
 * something else (a problem) name its id themselves.
 */
export function loggerParams(config: Pick<Config, 'logLevel' | 'logFormat'>): Params {
  const options = {
    level: config.logLevel,
    // JSON lines name their level ("info"); pino-pretty reads the number pino gives by default.
    ...(config.logFormat === 'json' && { formatters: { level: (label: string) => ({ level: label }) } }),
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
    // The request line's `req` and `res` are already the few fields it shows (logRequests); pino-http
    // runs its standard serializers first, which keep what they were given as `raw`.
    serializers: { req: given, res: given },
  };
  const destination = config.logFormat === 'pretty' ? pretty({ sync: true }) : bufferedStdout();
  return { pinoHttp: [options, destination] };
}

/** Lines gather up to this size before they are written, and wait at most LOG_FLUSH_MS. */
const LOG_BUFFER_BYTES = 8 * 1024;
const LOG_FLUSH_MS = 200;

/**
 * JSON lines to stdout, written in batches on the main thread (no transport worker): under load
 * one write carries many requests' lines rather than one each (a write per line cost about a
 * seventh of a command's CPU, measured), and a quiet service's lines are out within LOG_FLUSH_MS.
 * pino writes what is left synchronously when the process exits. The terminal format stays
 * synchronous: it is for reading, not for load.
 */
function bufferedStdout(): ReturnType<typeof pino.destination> {
  const destination = pino.destination({ sync: false, minLength: LOG_BUFFER_BYTES });
  setInterval(() => destination.flush(), LOG_FLUSH_MS).unref();
  buffered.add(destination);
  return destination;
}

const buffered = new Set<ReturnType<typeof pino.destination>>();

/**
 * Writes every buffered line now. Called once the service listens: whoever sees it answer has
 * its start-up lines (the warnings above all) already written.
 */
export function flushLogs(): void {
  buffered.forEach((destination) => destination.flushSync());
}

const given = (serialized: { raw: unknown }): unknown => serialized.raw;

/** The application's logger (the same pino root from start-up on): start-up lines are JSON too. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): LoggerService {
  const params = loggerParams(config);
  return new Logger(new PinoLogger(params), params);
}

/** One line per answered request, at info, through the application's pino root. */
export function logRequests(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const root = PinoLogger.root;
    if (root?.isLevelEnabled('info')) {
      root.info(
        {
          requestId: request.id,
          req: { method: request.method, path: request.url.split('?')[0] },
          res: { status: reply.statusCode },
          durationMs: Math.round(reply.elapsedTime),
          route: routeTemplateOf(request),
        },
        'request completed',
      );
    }
    done();
  });
}
